import Synchronization
import VaultCore

/// One `TokenBucket` per client key with a `requestsPerMinute`, created on its first request. The keys are
/// the configured ones, so the table cannot grow with traffic.
final class RequestRateLimiter: Sendable {
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let origin = ContinuousClock.now
    /// On a cluster node, where each key's rate is the cluster's: its bucket is in the catalog (the local one
    /// stands in while the catalog does not answer, so held audio is still served then).
    let cluster: (any ClusterStore)?

    init(cluster: (any ClusterStore)? = nil) {
        self.cluster = cluster
    }

    /// Whether `decide(for:)` decides for `key` without waiting: false only for a key with a rate on a cluster
    /// node, which the fast paths then hand to the router.
    func decidesAtOnce(for key: ClientKey) -> Bool { cluster == nil || key.requestsPerMinute == nil }

    /// The decision for one request of `key`: the cluster's bucket on a cluster node, else this node's.
    func decide(for key: ClientKey) async -> TokenBucket.Decision {
        guard let cluster, let perMinute = key.requestsPerMinute else { return take(for: key) }
        do {
            guard let retryAfter = try await cluster.takeRequest(keyId: key.id, perMinute: perMinute) else { return .allowed }
            return .refused(retryAfterSeconds: retryAfter)
        } catch {
            return take(for: key)
        }
    }

    /// This node's own bucket for `key`.
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
