/// Failures of the asset store that callers turn into API errors.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not a complete MP3; nothing was stored.
    case invalidAudio(MP3Error)
    /// The bytes are not a whole file of the asset's format (Opus, WAV, PCM...); nothing was stored.
    case invalidFormat(AudioInspection.Failure)
    /// The index has a record but none of its books' files is readable (fsck will report it).
    case missingFile(hash: String)
    case notFound(hash: String)
    /// The timings cannot be stored (an entry longer than 255 bytes); nothing was stored.
    case invalidAlignment(SpeechAlignmentCodec.Failure)

    public var description: String {
        switch self {
        case let .invalidAudio(error): "refusing to store invalid audio: \(error)"
        case let .invalidFormat(error): "refusing to store invalid audio: \(error)"
        case let .missingFile(hash): "asset \(hash) is indexed but no file for it is readable; run voicevault fsck"
        case let .notFound(hash): "no asset \(hash)"
        case let .invalidAlignment(error): "refusing to store the audio's timings: \(error)"
        }
    }
}
