/// Failures of the voice service that are not input or upstream errors.
public enum VoiceError: Error, Equatable, Sendable, CustomStringConvertible {
    case budgetExhausted(spent: Int, limit: Int)
    /// The calling client key's own daily budget is spent; other keys may still generate.
    case clientBudgetExhausted(spent: Int, limit: Int)
    case noSynthesizer
    /// The offline synthesizer (espeak-ng) has no voice for the requested language.
    case unsupportedLanguage(String)
    /// A local synthesis tool failed; its output is in the message for the operator.
    case synthesizerFailed(String)
    /// A request stitched (`previous_request_ids` / `next_request_ids`) to an asset that is not stored.
    case stitchedAssetNotFound(hash: String)
    /// A request stitched to an asset whose upstream id has expired and that has no text to send instead.
    case stitchedAssetWithoutText(hash: String)

    public var description: String {
        switch self {
        case let .budgetExhausted(spent, limit):
            "today's character budget is spent (\(spent) of \(limit)); cached audio is still served"
        case let .clientBudgetExhausted(spent, limit):
            "this client key's character budget for today is spent (\(spent) of \(limit)); cached audio is still served"
        case .noSynthesizer: "no speech synthesizer is configured"
        case let .unsupportedLanguage(code): "the offline synthesizer (espeak-ng) has no voice for languageCode '\(code)'"
        case let .synthesizerFailed(detail): "the offline synthesizer failed: \(detail)"
        case let .stitchedAssetNotFound(hash):
            "a request id names audio \(hash), which is not stored (deleted, or never finished); stitch to audio that exists"
        case let .stitchedAssetWithoutText(hash):
            "audio \(hash) was made too long ago for upstream to stitch to by id, and has no timings to send its text instead"
        }
    }
}
