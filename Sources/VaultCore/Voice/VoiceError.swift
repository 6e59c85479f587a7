/// Failures of the voice service that are not input or upstream errors.
public enum VoiceError: Error, Equatable, Sendable, CustomStringConvertible {
    case budgetExhausted(spent: Int, limit: Int)
    case noSynthesizer

    public var description: String {
        switch self {
        case let .budgetExhausted(spent, limit):
            "today's character budget is spent (\(spent) of \(limit)); cached audio is still served"
        case .noSynthesizer: "no speech synthesizer is configured"
        }
    }
}
