#if canImport(Glibc)
import Glibc
#endif
import Foundation
public import VaultCore

/// Reads the body of `POST /v1/text-to-speech/{voice}/stream/with-timestamps`: newline-delimited JSON objects,
/// each `{"audio_base64", "alignment", "normalized_alignment"}`, whose alignment times count from the start of
/// the response.
///
/// Bytes are fed as they arrive, split at line feeds in one pass; each whole line is decoded alone. Blank
/// lines are skipped (as the Python SDK does); a line that is not such an object is an error, never skipped:
/// skipping would store audio with a hole in it. A line may not grow past `maximumLineBytes`, so a body
/// without line feeds cannot make the decoder hold more than that.
public struct TimestampedStreamDecoder: Sendable {
    public struct Chunk: Sendable, Equatable {
        public let audio: [UInt8]
        /// This chunk's characters with absolute times; nil when upstream sent `alignment: null`.
        public let alignment: SpeechAlignment?
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case lineTooLong(limit: Int)
        case malformedLine(String)

        public var description: String {
            switch self {
            case let .lineTooLong(limit): "a stream line is longer than \(limit) bytes"
            case let .malformedLine(reason): "a stream line is not a timestamped audio chunk: \(reason)"
            }
        }
    }

    public let maximumLineBytes: Int
    private var pending: [UInt8] = []

    public init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    /// The chunks completed by `bytes`. Line feeds are found with `memchr` over contiguous storage: a chapter's
    /// stream is tens of megabytes of base64, and this is the only pass over it before each line is decoded.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(Failure) -> [Chunk] {
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in
                Result { () throws(Failure) in try feed(contiguous: UnsafeRawBufferPointer(buffer)) }
            }
            ?? Result { () throws(Failure) in
                try Array(bytes).withUnsafeBytes { buffer in
                    Result { () throws(Failure) in try feed(contiguous: buffer) }
                }.get()
            }
        return try result.get()
    }

    private mutating func feed(contiguous bytes: UnsafeRawBufferPointer) throws(Failure) -> [Chunk] {
        var chunks = [Chunk]()
        guard let base = bytes.baseAddress else { return chunks }
        var lineStart = 0
        while lineStart < bytes.count,
            let found = memchr(base + lineStart, 0x0A, bytes.count - lineStart)
        {
            let lineEnd = base.distance(to: UnsafeRawPointer(found))
            let piece = bytes[lineStart..<lineEnd]
            if pending.isEmpty {
                if let chunk = try Self.decode(line: Array(piece)) { chunks.append(chunk) }
            } else {
                pending.append(contentsOf: piece)
                let line = pending
                pending.removeAll(keepingCapacity: false)
                if let chunk = try Self.decode(line: line) { chunks.append(chunk) }
            }
            lineStart = lineEnd + 1
        }
        let rest = bytes.count - lineStart
        guard pending.count + rest <= maximumLineBytes else { throw .lineTooLong(limit: maximumLineBytes) }
        pending.append(contentsOf: bytes[lineStart...])
        return chunks
    }

    /// The last chunk when the body ends without a final line feed (upstream's last line may lack one).
    public mutating func finish() throws(Failure) -> Chunk? {
        defer { pending = [] }
        return try Self.decode(line: pending)
    }

    private struct Line: Decodable {
        struct Alignment: Decodable {
            let characters: [String]
            let character_start_times_seconds: [Double]
            let character_end_times_seconds: [Double]
        }

        struct Segment: Decodable {
            let voice_id: String
            let start_time_seconds: Double
            let end_time_seconds: Double
            let character_start_index: Int
            let character_end_index: Int
            let dialogue_input_index: Int
        }

        let audio_base64: String?
        let alignment: Alignment?
        let normalized_alignment: Alignment?
        /// A dialogue's (`/v1/text-to-dialogue/.../with-timestamps`).
        let voice_segments: [Segment]?
    }

    static func decode(line: [UInt8]) throws(Failure) -> Chunk? {
        guard line.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { return nil }
        let decoded: Line
        do { decoded = try JSONDecoder().decode(Line.self, from: Data(line)) } catch {
            throw .malformedLine("not the expected JSON object")
        }
        guard let base64 = decoded.audio_base64 else { throw .malformedLine("no audio_base64") }
        guard let audio = Data(base64Encoded: base64) else { throw .malformedLine("audio_base64 is not base64") }
        func parse(_ raw: Line.Alignment, _ name: String) throws(Failure) -> SpeechAlignment {
            guard
                let parsed = SpeechAlignment(
                    characters: raw.characters, startSeconds: raw.character_start_times_seconds,
                    endSeconds: raw.character_end_times_seconds)
            else { throw .malformedLine("\(name) arrays differ in length or hold invalid times") }
            return parsed
        }
        var alignment: SpeechAlignment?
        if let raw = decoded.alignment {
            alignment = try parse(raw, "alignment")
            // The spoken text's timings are kept beside the written one's; without the written one they have
            // nothing to stand beside.
            if let spoken = decoded.normalized_alignment { alignment?.spoken = try parse(spoken, "normalized_alignment").characters }
        }
        if let segments = decoded.voice_segments, !segments.isEmpty {
            var voices = [SpeechAlignment.VoiceSegment]()
            for segment in segments {
                guard let start = SpeechAlignment.milliseconds(segment.start_time_seconds),
                    let end = SpeechAlignment.milliseconds(segment.end_time_seconds)
                else { throw .malformedLine("a voice segment holds invalid times") }
                voices.append(
                    .init(
                        voiceId: segment.voice_id, startMilliseconds: start, endMilliseconds: end,
                        characterStart: segment.character_start_index, characterEnd: segment.character_end_index,
                        line: segment.dialogue_input_index))
            }
            if alignment == nil { alignment = SpeechAlignment() }
            alignment?.voices = voices
        }
        return Chunk(audio: Array(audio), alignment: alignment)
    }
}
