/// Checks a WAV file as ElevenLabs makes it (RIFF/WAVE, 16-bit integer PCM) chunk by chunk, and reads its
/// duration from the data chunk: the RIFF size must be the file's, every chunk must fit (padded to even), the
/// `fmt ` chunk must describe PCM whose byte rate and block size agree with its rate, channels and bits, and the
/// `data` chunk must hold whole sample frames.
public enum WAVInspector {
    public struct Info: Sendable, Equatable {
        public let channels: Int
        public let sampleRate: Int
        public let bitsPerSample: Int
        /// Where the samples start and how many bytes they take.
        public let dataOffset: Int
        public let dataBytes: Int
        public var durationSeconds: Double { Double(dataBytes) / Double(sampleRate * channels * bitsPerSample / 8) }
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case notRIFF
        case sizeMismatch(declared: Int, actual: Int)
        case truncatedChunk(offset: Int)
        case missingChunk(String)
        case unsupportedEncoding(String)
        case partialFrame(bytes: Int, frame: Int)

        public var description: String {
            switch self {
            case .notRIFF: "not a RIFF/WAVE file"
            case let .sizeMismatch(declared, actual): "the RIFF header says \(declared) bytes follow, the file has \(actual)"
            case let .truncatedChunk(offset): "the chunk at byte \(offset) runs past the end"
            case let .missingChunk(name): "no '\(name)' chunk before the samples"
            case let .unsupportedEncoding(reason): "not 16-bit PCM: \(reason)"
            case let .partialFrame(bytes, frame): "\(bytes) bytes of samples are not whole frames of \(frame)"
            }
        }
    }

    public static func inspect(_ bytes: [UInt8]) throws(Failure) -> Info {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else {
            throw .notRIFF
        }
        let declared = Int(OggOpusInspector.littleEndian(bytes, 4, count: 4))
        guard declared == bytes.count - 8 else { throw .sizeMismatch(declared: declared, actual: bytes.count - 8) }
        var offset = 12
        var format: (channels: Int, rate: Int, bits: Int)?
        while offset < bytes.count {
            guard offset + 8 <= bytes.count else { throw .truncatedChunk(offset: offset) }
            let id = bytes[offset..<(offset + 4)]
            let size = Int(OggOpusInspector.littleEndian(bytes, offset + 4, count: 4))
            let body = offset + 8
            guard body + size <= bytes.count else { throw .truncatedChunk(offset: offset) }
            if id.elementsEqual("fmt ".utf8) {
                guard size >= 16 else { throw .unsupportedEncoding("a fmt chunk of \(size) bytes") }
                let tag = Int(OggOpusInspector.littleEndian(bytes, body, count: 2))
                let channels = Int(OggOpusInspector.littleEndian(bytes, body + 2, count: 2))
                let rate = Int(OggOpusInspector.littleEndian(bytes, body + 4, count: 4))
                let byteRate = Int(OggOpusInspector.littleEndian(bytes, body + 8, count: 4))
                let block = Int(OggOpusInspector.littleEndian(bytes, body + 12, count: 2))
                let bits = Int(OggOpusInspector.littleEndian(bytes, body + 14, count: 2))
                guard tag == 1 else { throw .unsupportedEncoding("format tag \(tag)") }
                guard bits == 16, channels > 0, rate > 0 else {
                    throw .unsupportedEncoding("\(bits) bits, \(channels) channels, \(rate) Hz")
                }
                guard block == channels * 2, byteRate == rate * block else {
                    throw .unsupportedEncoding("byte rate \(byteRate) and block \(block) disagree with \(rate) Hz × \(channels) channels")
                }
                format = (channels, rate, bits)
            } else if id.elementsEqual("data".utf8) {
                guard let format else { throw .missingChunk("fmt ") }
                let frame = format.channels * 2
                guard size % frame == 0 else { throw .partialFrame(bytes: size, frame: frame) }
                // Anything after the samples must still be whole chunks.
                var rest = body + size + (size & 1)
                while rest < bytes.count {
                    guard rest + 8 <= bytes.count else { throw .truncatedChunk(offset: rest) }
                    let extra = Int(OggOpusInspector.littleEndian(bytes, rest + 4, count: 4))
                    guard rest + 8 + extra <= bytes.count else { throw .truncatedChunk(offset: rest) }
                    rest += 8 + extra + (extra & 1)
                }
                return Info(
                    channels: format.channels, sampleRate: format.rate, bitsPerSample: format.bits, dataOffset: body, dataBytes: size)
            }
            offset = body + size + (size & 1)
        }
        throw .missingChunk(format == nil ? "fmt " : "data")
    }
}
