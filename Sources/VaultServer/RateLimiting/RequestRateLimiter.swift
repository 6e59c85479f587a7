import Synchronization

/// One `TokenBucket` per client key with a `requestsPerMinute`, created on its first request. The keys are
/// the configured ones, so the table cannot grow with traffic.
final class RequestRateLimiter: Sendable {
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let origin = ContinuousClock.now

    func take(for key: ClientKey) -> TokenBucket.Decision {
        guard let perMinute = key.requestsPerMinute else { return .allowed }
        let now = (ContinuousClock.now - origin).seconds
        return buckets.withLock { buckets in
            var bucket = buckets[key.id] ?? TokenBucket(perMinute: perMinute, now: now)
            let decision = bucket.take(now: now)
            buckets[key.id] = bucket
            return decision
        }
    }
}
