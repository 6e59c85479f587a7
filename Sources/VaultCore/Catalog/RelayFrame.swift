/// One step of a live generation as the generating node relays it to a waiting node (Docs/CLUSTER.md,
/// "Listeners on every node hear the stream live"). The body of `GET /cluster/v1/live/{hash}` is a sequence of
/// these frames, each a kind byte followed by big-endian lengths and their bytes:
///
/// | kind | frame | after the kind byte |
/// |---|---|---|
/// | 1 | `piece` | u32 audio count, u32 alignment count (0: none), the audio, the alignment (`SpeechAlignmentCodec`) |
/// | 2 | `quiet` | nothing: no piece for a while, but the holder is alive |
/// | 3 | `restart` | nothing: the holder started its generation over; drop every piece so far |
/// | 4 | `end` | nothing: the generation is whole and shared with the cluster |
/// | 5 | `failed` | u16 code count, u16 message count, the code, the message (UTF-8) |
///
/// Only `end` says the relay is complete: a body that stops without it was cut off.
public enum RelayFrame: Sendable, Equatable {
    /// Where a node asks another for its live generation of a hash: this, then the hash's hex.
    public static let routePrefix = "/cluster/v1/live/"

    case piece(SynthesisPiece)
    case quiet
    case restart
    case end
    case failed(code: String, message: String)

    /// The most audio one frame may carry: more than any piece the upstream sends, so a larger one is a fault.
    public static let maximumAudioBytes = 16 << 20
    /// The most encoded alignment one frame may carry.
    public static let maximumAlignmentBytes = 16 << 20
    static let maximumTextBytes = Int(UInt16.max)

    enum Kind: UInt8 {
        case piece = 1, quiet, restart, end, failed
    }

    /// The frame's bytes. A `failed` frame's code and message are cut to what fits (at a UTF-8 scalar boundary).
    public func encoded() throws(SpeechAlignmentCodec.Failure) -> [UInt8] {
        switch self {
        case let .piece(piece):
            let alignment = try piece.alignment.map(SpeechAlignmentCodec.encode) ?? []
            var out: [UInt8] = [Kind.piece.rawValue]
            out.reserveCapacity(9 + piece.audio.count + alignment.count)
            Self.append(UInt32(piece.audio.count), bytes: 4, to: &out)
            Self.append(UInt32(alignment.count), bytes: 4, to: &out)
            out += piece.audio
            out += alignment
            return out
        case .quiet: return [Kind.quiet.rawValue]
        case .restart: return [Kind.restart.rawValue]
        case .end: return [Kind.end.rawValue]
        case let .failed(code, message):
            let codeBytes = Self.utf8Prefix(code, atMost: Self.maximumTextBytes)
            let messageBytes = Self.utf8Prefix(message, atMost: Self.maximumTextBytes)
            var out: [UInt8] = [Kind.failed.rawValue]
            Self.append(UInt32(codeBytes.count), bytes: 2, to: &out)
            Self.append(UInt32(messageBytes.count), bytes: 2, to: &out)
            return out + codeBytes + messageBytes
        }
    }

    static func append(_ value: UInt32, bytes: Int, to out: inout [UInt8]) {
        for shift in stride(from: (bytes - 1) * 8, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    static func utf8Prefix(_ text: String, atMost limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            guard out.count + encoded.count <= limit else { break }
            out += encoded
        }
        return out
    }
}

/// Why a relay's bytes are not a sequence of frames.
public enum RelayFrameError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownKind(UInt8)
    case tooLarge(String, Int)
    case badAlignment(SpeechAlignmentCodec.Failure)
    case notText

    public var description: String {
        switch self {
        case let .unknownKind(kind): "relay frame of unknown kind \(kind)"
        case let .tooLarge(what, count): "relay frame's \(what) of \(count) bytes is over its bound"
        case let .badAlignment(failure): "relay frame's alignment: \(failure)"
        case .notText: "relay frame's failure text is not UTF-8"
        }
    }
}

/// Frames from a relay's body as it arrives in arbitrary slices: each byte is looked at once (linear time),
/// and at most one frame plus one slice is held (each frame is bounded).
public struct RelayFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Bytes received but not yet a whole frame.
    public var pendingBytes: Int { buffer.count - start }

    /// Takes the next slice of the body; returns every frame it completes, in order.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(RelayFrameError) -> [RelayFrame] {
        buffer += bytes
        var frames: [RelayFrame] = []
        while let frame = try next() { frames.append(frame) }
        // Consumed bytes are dropped once they are at least half the buffer: amortised linear.
        if start > 0, start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return frames
    }

    private func integer(at offset: Int, bytes: Int) -> Int {
        var value = 0
        for index in offset..<offset + bytes { value = value << 8 | Int(buffer[index]) }
        return value
    }

    private mutating func next() throws(RelayFrameError) -> RelayFrame? {
        guard start < buffer.count else { return nil }
        guard let kind = RelayFrame.Kind(rawValue: buffer[start]) else { throw .unknownKind(buffer[start]) }
        let available = buffer.count - start
        switch kind {
        case .quiet, .restart, .end:
            start += 1
            return kind == .quiet ? .quiet : kind == .restart ? .restart : .end
        case .piece:
            guard available >= 9 else { return nil }
            let audioCount = integer(at: start + 1, bytes: 4)
            let alignmentCount = integer(at: start + 5, bytes: 4)
            guard audioCount <= RelayFrame.maximumAudioBytes else { throw .tooLarge("audio", audioCount) }
            guard alignmentCount <= RelayFrame.maximumAlignmentBytes else { throw .tooLarge("alignment", alignmentCount) }
            guard available >= 9 + audioCount + alignmentCount else { return nil }
            let audioStart = start + 9
            let audio = Array(buffer[audioStart..<audioStart + audioCount])
            var alignment: SpeechAlignment?
            if alignmentCount > 0 {
                let slice = Array(buffer[audioStart + audioCount..<audioStart + audioCount + alignmentCount])
                do { alignment = try SpeechAlignmentCodec.decode(slice) } catch { throw .badAlignment(error) }
            }
            start = audioStart + audioCount + alignmentCount
            return .piece(SynthesisPiece(audio: audio, alignment: alignment))
        case .failed:
            guard available >= 5 else { return nil }
            let codeCount = integer(at: start + 1, bytes: 2)
            let messageCount = integer(at: start + 3, bytes: 2)
            guard available >= 5 + codeCount + messageCount else { return nil }
            let codeStart = start + 5
            guard let code = String(validating: buffer[codeStart..<codeStart + codeCount], as: UTF8.self),
                let message = String(
                    validating: buffer[codeStart + codeCount..<codeStart + codeCount + messageCount], as: UTF8.self)
            else { throw .notText }
            start = codeStart + codeCount + messageCount
            return .failed(code: code, message: message)
        }
    }
}
