/// Joins MP3 pieces into one valid MP3: the frames of every piece in order, with no ID3 tag, Xing/Info or
/// VBRI frame, or trailing tag left in the middle, and one fresh Xing header in front that announces the total
/// frame and byte count, so players show the true duration even for VBR audio.
///
/// All pieces must share sample rate and channel layout (ElevenLabs pieces of one request always do); a
/// mismatch is refused rather than producing audio that plays at the wrong speed.
public enum MP3Concatenator {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noPieces
        case invalidPiece(index: Int, MP3Error)
        case mismatchedFormat(index: Int)

        public var description: String {
            switch self {
            case .noPieces: "nothing to join"
            case let .invalidPiece(index, error): "piece \(index) is not a complete MP3: \(error)"
            case let .mismatchedFormat(index): "piece \(index) has another sample rate or layer than the first"
            }
        }
    }

    public static func join(_ pieces: [[UInt8]]) throws(Failure) -> [UInt8] {
        guard !pieces.isEmpty else { throw .noPieces }
        var frames = [UInt8]()
        var frameCount = 0
        var firstHeader: MP3FrameHeader?
        for (index, piece) in pieces.enumerated() {
            let info: MP3Info
            do { info = try MP3Inspector.inspect(piece) } catch { throw .invalidPiece(index: index, error) }
            let audio = piece[info.audioOffset..<info.audioEnd]
            guard let header = MP3FrameHeader(audio[audio.startIndex], audio[audio.startIndex + 1],
                                              audio[audio.startIndex + 2], audio[audio.startIndex + 3])
            else { throw .invalidPiece(index: index, .noFrameSync) }
            if let firstHeader {
                guard header.sampleRate == firstHeader.sampleRate, header.layer == firstHeader.layer,
                      header.version == firstHeader.version, header.isMono == firstHeader.isMono
                else { throw .mismatchedFormat(index: index) }
            } else {
                firstHeader = header
            }
            frames += audio
            frameCount += info.audioFrameCount
        }
        guard let firstHeader else { throw .noPieces }
        return xingFrame(like: firstHeader, frames: frameCount, bytes: frames.count) + frames
    }

    /// A frame carrying no audio, shaped like `header`, holding a Xing tag with frame and byte counts.
    /// Empty when such a frame is too small to hold the tag (very low bitrates): players then walk the frames.
    static func xingFrame(like header: MP3FrameHeader, frames: Int, bytes: Int) -> [UInt8] {
        guard let tagHeader = MP3FrameHeader(
            version: header.version, layer: header.layer, bitrateKbps: header.bitrateKbps, sampleRate: header.sampleRate,
            hasPadding: false, isMono: header.isMono)
        else { return [] }
        let length = tagHeader.frameLength
        let tag = tagHeader.xingOffset
        guard length >= tag + 16 else { return [] }
        var frame = tagHeader.bytes + [UInt8](repeating: 0, count: length - 4)
        let total = bytes + length
        let fields: [UInt8] = Array("Xing".utf8) + [0, 0, 0, 3] + bigEndian(UInt32(frames)) + bigEndian(UInt32(clamping: total))
        frame.replaceSubrange(tag..<(tag + fields.count), with: fields)
        return frame
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
