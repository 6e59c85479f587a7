/// Checks headerless audio (PCM, µ-law, A-law) by exact sample arithmetic: there is nothing else in such a
/// file to check. 16-bit PCM must be whole samples (an even number of bytes); G.711 takes one byte per sample.
/// The duration is the samples over the rate, exactly.
public enum RawAudioInspector {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case partialSample(bytes: Int)
        case notRaw(String)

        public var description: String {
            switch self {
            case .empty: "no audio"
            case let .partialSample(bytes): "\(bytes) bytes are not whole 16-bit samples"
            case let .notRaw(format): "\(format) is not a headerless format"
            }
        }
    }

    /// The duration of `byteCount` bytes of `format`.
    public static func durationSeconds(byteCount: Int, format: AudioFormat) throws(Failure) -> Double {
        guard let perSecond = format.rawBytesPerSecond else { throw .notRaw(format.codec.rawValue) }
        guard byteCount > 0 else { throw .empty }
        guard format.codec != .pcm || byteCount % 2 == 0 else { throw .partialSample(bytes: byteCount) }
        return Double(byteCount) / Double(perSecond)
    }
}
