/// Reads MP3 structure: ID3v2 tag, Xing/Info/VBRI header, and a walk over every frame.
///
/// The walk is always done, even when a header announces the frame count: it is what proves the file is
/// whole (a truncated upstream body must never be stored), and it costs one 4-byte parse per frame
/// (about 38 per second of audio).
public enum MP3Inspector {
    /// How far past the ID3 tag the first frame may start (some encoders leave padding).
    static let maximumLeadingJunk = 4096

    public static func inspect(_ bytes: [UInt8]) throws(MP3Error) -> MP3Info {
        guard !bytes.isEmpty else { throw .empty }
        let id3Length = id3v2Length(bytes)
        guard let head = head(bytes, from: id3Length) else { throw .noFrameSync }
        let firstHeader = head.firstHeader
        let audioOffset = head.audioOffset

        // Walk every frame to the end.
        var offset = audioOffset
        var frames = 0
        var samples = 0
        var totalBits = 0.0
        while offset + 4 <= bytes.count,
            let header = MP3FrameHeader(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]),
            header.sampleRate == firstHeader.sampleRate, header.layer == firstHeader.layer,
            offset + header.frameLength <= bytes.count
        {
            frames += 1
            samples += header.samplesPerFrame
            totalBits += Double(header.bitrateKbps)
            offset += header.frameLength
        }
        let trailing = trailingTagLength(bytes, from: offset)
        guard offset + trailing == bytes.count else { throw .truncated(validBytes: offset, totalBytes: bytes.count) }
        guard frames > 0 else { throw .noFrameSync }

        return makeInfo(
            head: head, id3Length: id3Length, audioEnd: offset, trailing: trailing,
            walk: FrameWalk(frames: frames, samples: samples, totalBits: totalBits))
    }

    /// Where the audio begins: the first frame, and whether it is a Xing/Info or VBRI frame (which carries no
    /// audio, only what the encoder knew about the whole).
    struct Head: Equatable {
        var firstOffset: Int
        var firstHeader: MP3FrameHeader
        var announcedFrames: Int?
        var gaplessTrim = 0
        var source = MP3Info.DurationSource.frameWalk
        var audioOffset: Int

        func shifted(by base: Int) -> Head {
            var copy = self
            copy.firstOffset += base
            copy.audioOffset += base
            return copy
        }
    }

    static func head(_ bytes: [UInt8], from start: Int) -> Head? {
        guard let first = findFirstFrame(bytes, from: start) else { return nil }
        var head = Head(firstOffset: first.offset, firstHeader: first.header, audioOffset: first.offset)
        if let xing = xingTag(bytes, frameAt: first.offset, header: first.header) {
            head.announcedFrames = xing.frames
            head.gaplessTrim = xing.encoderDelay + xing.endPadding
            head.source = .xingHeader
            head.audioOffset = first.offset + first.header.frameLength
        } else if let frames = vbriFrameCount(bytes, frameAt: first.offset) {
            head.announcedFrames = frames
            head.source = .vbriHeader
            head.audioOffset = first.offset + first.header.frameLength
        }
        return head
    }

    /// What a walk over the audio frames counted.
    struct FrameWalk: Equatable {
        var frames = 0
        var samples = 0
        var totalBits = 0.0
    }

    /// The info from what the inspection found: shared by the whole-file and the incremental inspector, so
    /// both compute durations with one rule.
    static func makeInfo(head: Head, id3Length: Int, audioEnd: Int, trailing: Int, walk: FrameWalk) -> MP3Info {
        let firstHeader = head.firstHeader
        let announcedFrames = head.announcedFrames
        let gaplessTrim = head.gaplessTrim
        // Samples the decoder outputs. The LAME tag's encoder delay and end padding are not part of the
        // speech; players that honour them (and sox, ffmpeg) report the shorter, exact length, and so do we.
        var source = head.source
        var totalSamples = walk.samples
        if let announcedFrames, announcedFrames > 0 {
            totalSamples = announcedFrames * firstHeader.samplesPerFrame
        } else {
            source = .frameWalk
        }
        if gaplessTrim > 0, gaplessTrim < totalSamples { totalSamples -= gaplessTrim }
        let duration = Double(totalSamples) / Double(firstHeader.sampleRate)
        return MP3Info(
            durationSeconds: duration, durationSource: source, audioFrameCount: walk.frames,
            sampleRate: firstHeader.sampleRate, averageBitrateKbps: Int((walk.totalBits / Double(walk.frames)).rounded()),
            id3v2Length: id3Length, firstFrameOffset: head.firstOffset, audioOffset: head.audioOffset, audioEnd: audioEnd,
            trailingTagLength: trailing, walkedSampleCount: walk.samples)
    }

    /// Length of a leading ID3v2 tag: 10-byte header + syncsafe size (+ 10 when a footer is flagged).
    static func id3v2Length(_ bytes: [UInt8]) -> Int {
        min(id3v2DeclaredLength(bytes), bytes.count)
    }

    /// The length the tag header declares, which may run past the bytes at hand (0 when there is no tag).
    static func id3v2DeclaredLength(_ bytes: [UInt8]) -> Int {
        guard bytes.count >= 10, bytes[0] == 0x49, bytes[1] == 0x44, bytes[2] == 0x33 else { return 0 }
        let sizeBytes = bytes[6...9]
        guard sizeBytes.allSatisfy({ $0 & 0x80 == 0 }) else { return 0 }
        let size = sizeBytes.reduce(0) { $0 << 7 | Int($1) }
        let footer = bytes[5] & 0x10 != 0 ? 10 : 0
        return 10 + size + footer
    }

    /// The first offset holding a frame header whose successor is also a frame header (or the end of the
    /// data): one stray 0xFF byte is not enough to call something MP3.
    static func findFirstFrame(_ bytes: [UInt8], from start: Int) -> (offset: Int, header: MP3FrameHeader)? {
        var offset = start
        let limit = min(bytes.count - 4, start + maximumLeadingJunk)
        while offset <= limit {
            if let header = MP3FrameHeader(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]) {
                let next = offset + header.frameLength
                if next == bytes.count { return (offset, header) }
                if next + 4 <= bytes.count,
                    let following = MP3FrameHeader(bytes[next], bytes[next + 1], bytes[next + 2], bytes[next + 3]),
                    following.sampleRate == header.sampleRate, following.layer == header.layer
                {
                    return (offset, header)
                }
            }
            offset += 1
        }
        return nil
    }

    /// A Xing/Info tag: the frame count, and LAME's gapless fields when a LAME extension follows.
    struct XingTag: Equatable {
        var frames: Int?
        var encoderDelay = 0
        var endPadding = 0
    }

    static func xingTag(_ bytes: [UInt8], frameAt offset: Int, header: MP3FrameHeader) -> XingTag? {
        let tag = offset + header.xingOffset
        guard tag + 8 <= bytes.count, matches(bytes, at: tag, "Xing") || matches(bytes, at: tag, "Info") else {
            return nil
        }
        let flags = readUInt32(bytes, at: tag + 4)
        var cursor = tag + 8
        var result = XingTag()
        if flags & 0x1 != 0, cursor + 4 <= bytes.count {
            result.frames = Int(readUInt32(bytes, at: cursor))
            cursor += 4
        }
        if flags & 0x2 != 0 { cursor += 4 }  // byte count
        if flags & 0x4 != 0 { cursor += 100 }  // seek table
        if flags & 0x8 != 0 { cursor += 4 }  // quality
        // LAME extension: a 9-byte encoder string, then delay and padding as two 12-bit fields at +21.
        let lame = cursor
        if lame + 24 <= bytes.count,
            matches(bytes, at: lame, "LAME") || matches(bytes, at: lame, "Lavc") || matches(bytes, at: lame, "Lavf")
        {
            let b0 = Int(bytes[lame + 21])
            let b1 = Int(bytes[lame + 22])
            let b2 = Int(bytes[lame + 23])
            result.encoderDelay = b0 << 4 | b1 >> 4
            result.endPadding = (b1 & 0x0F) << 8 | b2
        }
        return result
    }

    static func vbriFrameCount(_ bytes: [UInt8], frameAt offset: Int) -> Int? {
        let tag = offset + 36
        guard tag + 18 <= bytes.count, matches(bytes, at: tag, "VBRI") else { return nil }
        return Int(readUInt32(bytes, at: tag + 14))
    }

    /// Bytes from `offset` to the end that form a recognised trailing tag: ID3v1 (`TAG`, 128 bytes) and/or an
    /// APEv2 tag ending in a footer. Zero when the remainder is anything else.
    static func trailingTagLength(_ bytes: [UInt8], from offset: Int) -> Int {
        let remaining = bytes.count - offset
        if remaining == 0 { return 0 }
        if remaining == 128, matches(bytes, at: offset, "TAG") { return 128 }
        if remaining >= 32, matches(bytes, at: offset, "APETAGEX") {
            // APE header present: total size = header (32) + tag size (items + footer).
            let size = Int(readUInt32LE(bytes, at: offset + 12))
            let total = 32 + size
            if total == remaining { return total }
            if total + 128 == remaining, matches(bytes, at: offset + total, "TAG") { return remaining }
        }
        return 0
    }

    static func matches(_ bytes: [UInt8], at offset: Int, _ ascii: StaticString) -> Bool {
        let count = ascii.utf8CodeUnitCount
        guard offset >= 0, offset + count <= bytes.count else { return false }
        return ascii.withUTF8Buffer { pattern in
            (0..<count).allSatisfy { bytes[offset + $0] == pattern[$0] }
        }
    }

    static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }

    static func readUInt32LE(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }
}
