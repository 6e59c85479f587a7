/// A client key's request allowance (`requestsPerMinute` in the keys file): a bucket of `capacity` tokens that
/// refills evenly, a minute for a full bucket. A request takes a token; with none left it is refused and told
/// when the next one comes. Pure (time is a parameter), so every edge has a test.
///
/// A full bucket lets a key burst its whole minute at once, then holds it to the steady rate: what a reading
/// app opening a book (many chapters at once, then nothing) needs, unlike a fixed window's edge doubling.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let refillPerSecond: Double
    private(set) var tokens: Double
    private(set) var updatedAt: Double

    static let slack = 1e-9

    public enum Decision: Sendable, Equatable {
        case allowed
        /// Whole seconds until a token is back (at least 1), for `Retry-After`.
        case refused(retryAfterSeconds: Int)
    }

    /// A full bucket for `perMinute` requests, at `now` (seconds on a monotonic clock).
    public init(perMinute: Int, now: Double) {
        capacity = Double(max(1, perMinute))
        refillPerSecond = capacity / 60
        tokens = capacity
        updatedAt = now
    }

    public mutating func take(now: Double) -> Decision {
        // A clock that seems to go back refills nothing (and never takes tokens away).
        let elapsed = max(0, now - updatedAt)
        tokens = min(capacity, tokens + elapsed * refillPerSecond)
        updatedAt = max(updatedAt, now)
        // Refill is fractional: a token that is whole but for rounding (0.99999...) counts as whole.
        if tokens >= 1 - Self.slack {
            tokens = max(0, tokens - 1)
            return .allowed
        }
        let wait = (1 - tokens) / refillPerSecond
        return .refused(retryAfterSeconds: max(1, Int((wait - Self.slack).rounded(.up))))
    }
}
