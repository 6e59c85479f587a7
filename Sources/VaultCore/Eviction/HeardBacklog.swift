import Synchronization

/// Heard times a cluster node has written to its own index but not yet to the cluster's catalog, where the
/// cluster's quota reads them (Docs/CLUSTER.md, "One quota for the cluster"). Filled by `AssetEviction` as it
/// flushes its `HeardLog`, so hearing stays a dictionary update on the hot path; drained by `ClusterQuota`.
///
/// Only the latest time per asset is kept, bounded by `capacity` as `HeardLog` is (the older half dropped: those
/// assets look older to the quota, never younger).
public final class HeardBacklog: Sendable {
    private let times = Mutex<[SHA256Digest: Double]>([:])
    public let capacity: Int

    public init(capacity: Int = 1 << 20) {
        self.capacity = capacity
    }

    public func add(_ heard: [SHA256Digest: Double]) {
        guard !heard.isEmpty else { return }
        times.withLock { times in
            for (hash, time) in heard where time > times[hash] ?? 0 { times[hash] = time }
            if times.count > capacity {
                let cutoff = times.values.sorted()[times.count / 2]
                times = times.filter { $0.value > cutoff }
            }
        }
    }

    /// Takes every time added since the last drain.
    public func drain() -> [SHA256Digest: Double] {
        times.withLock { times in
            defer { times = [:] }
            return times
        }
    }
}
