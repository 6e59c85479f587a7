/// Why a speech request cannot be hashed. Each case has a stable machine code for API errors.
public enum SpeechSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyText
    case textTooLong(characters: Int, limit: Int)
    case invalidVoiceId(String)
    case invalidModelId(String)
    case unknownOutputFormat(String)
    case invalidLanguageCode(String)
    case settingOutOfRange(field: String, value: Double, range: ClosedRange<Double>)
    case seedOutOfRange(Int64)
    /// More than 30 combining marks in a row (UAX #15's stream-safe limit); `run` is how many were seen.
    case textNotStreamSafe(field: String, run: Int)
    case contextTooLong(field: String, characters: Int, limit: Int)
    /// A NUL character: never speech, and a terminator to every C string the text passes through (the offline
    /// synthesizer's included), so refused rather than stored or sent.
    case textContainsNul(field: String)
    /// A field of the extended request (`SpeechExtensions`) with a value it cannot take; the second value says
    /// what was wrong.
    case invalidField(String, String)

    public var code: String {
        switch self {
        case .emptyText: "empty_text"
        case .textTooLong: "text_too_long"
        case .invalidVoiceId: "invalid_voice_id"
        case .invalidModelId: "invalid_model_id"
        case .unknownOutputFormat: "unknown_format"
        case .invalidLanguageCode: "invalid_language_code"
        case .settingOutOfRange: "setting_out_of_range"
        case .seedOutOfRange: "seed_out_of_range"
        case .textNotStreamSafe: "text_not_stream_safe"
        case .contextTooLong: "context_too_long"
        case .textContainsNul: "invalid_text"
        case .invalidField: "invalid_field"
        }
    }

    public var description: String {
        switch self {
        case .emptyText: "text is empty or only whitespace"
        case let .textTooLong(count, limit): "text has \(count) characters; the limit is \(limit)"
        case let .invalidVoiceId(id): "voiceId '\(id)' must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"
        case let .invalidModelId(id): "model '\(id)' must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' or '-'"
        case let .unknownOutputFormat(format): "format '\(format)' is not an ElevenLabs output format"
        case let .invalidLanguageCode(code): "languageCode '\(code)' must be an ISO 639 code of 2 or 3 letters"
        case let .settingOutOfRange(field, value, range):
            "voice setting \(field)=\(value) is outside \(range.lowerBound)...\(range.upperBound)"
        case let .seedOutOfRange(seed): "seed \(seed) is outside 0...4294967295"
        case let .textNotStreamSafe(field, run):
            "\(field) has \(run) or more combining marks in a row; at most 30 are allowed (Unicode stream-safe text, UAX #15)"
        case let .contextTooLong(field, count, limit): "\(field) has \(count) characters; the limit is \(limit)"
        case let .invalidField(field, problem): "\(field) is not valid: \(problem)"
        case let .textContainsNul(field): "\(field) contains a NUL character (U+0000)"
        }
    }
}
