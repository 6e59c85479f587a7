/// When to try an ElevenLabs request again, and after how long. Pure: the caller supplies the attempt number
/// and a random unit value, so every decision is testable without clocks or network.
///
/// - 429 concurrency: the plan's slots are full (another process, or the limiter is set above the plan). Wait
///   and try again; these do not use up the attempt budget quickly, because they are not failures of the
///   request, but they are bounded too so a misconfiguration cannot loop forever.
/// - busy, 5xx, timeouts, resets, unusable audio: exponential backoff with full jitter, honouring
///   `retry-after` when the upstream sends it, capped.
/// - everything else: fail at once.
public struct RetryPolicy: Sendable, Equatable {
    public var maximumAttempts: Int
    public var maximumConcurrencyWaits: Int
    public var baseDelay: Double
    public var maximumDelay: Double
    public var concurrencyWait: Double

    public init(
        maximumAttempts: Int = 4, maximumConcurrencyWaits: Int = 20, baseDelay: Double = 0.5,
        maximumDelay: Double = 20, concurrencyWait: Double = 1
    ) {
        self.maximumAttempts = maximumAttempts
        self.maximumConcurrencyWaits = maximumConcurrencyWaits
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.concurrencyWait = concurrencyWait
    }

    public enum Decision: Equatable, Sendable {
        case retry(afterSeconds: Double)
        case fail
    }

    /// - Parameters:
    ///   - failures: failed attempts so far that count against `maximumAttempts` (this one included).
    ///   - concurrencyWaits: 429-concurrency answers so far (this one included).
    ///   - unitRandom: a random value in 0..<1 for jitter.
    public func decide(after failure: UpstreamFailure, failures: Int, concurrencyWaits: Int, unitRandom: Double)
        -> Decision
    {
        switch failure {
        case let .concurrencyLimited(retryAfter):
            guard concurrencyWaits < maximumConcurrencyWaits else { return .fail }
            let wait = retryAfter ?? concurrencyWait * (0.5 + unitRandom)
            return .retry(afterSeconds: min(wait, maximumDelay))
        case _ where !failure.isRetryable:
            return .fail
        default:
            guard failures < maximumAttempts else { return .fail }
            if case let .busy(retryAfter?) = failure { return .retry(afterSeconds: min(retryAfter, maximumDelay)) }
            // Full jitter: uniform in [0, min(cap, base * 2^(n-1))].
            let ceiling = min(maximumDelay, baseDelay * Double(1 << min(failures - 1, 30)))
            return .retry(afterSeconds: ceiling * unitRandom)
        }
    }

    /// Whether a failure counts against `maximumAttempts` (a concurrency wait does not).
    public static func countsAsFailure(_ failure: UpstreamFailure) -> Bool {
        if case .concurrencyLimited = failure { return false }
        return true
    }
}
