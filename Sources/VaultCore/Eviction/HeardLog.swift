import Foundation
import Synchronization

/// When each asset was last heard (a cache hit, a download), kept in memory and written to the index in
/// batches (`flush`), so that hearing costs a dictionary update on the hot path and not an LMDB write.
///
/// Only the latest time per asset is kept, so memory is bounded by the distinct assets heard between two
/// flushes (seconds apart). Should that ever pass `capacity`, the older half of the times is dropped: those
/// assets fall back to their stored time, which can only make them look older to the quota. Looking audio up
/// is not hearing it and never comes here.
public final class HeardLog: Sendable {
    private let times = Mutex<[SHA256Digest: Double]>([:])
    public let capacity: Int

    public init(capacity: Int = 1 << 20) {
        self.capacity = capacity
    }

    public func heard(_ hash: SHA256Digest, at time: Double) {
        times.withLock { times in
            if times.count >= capacity {
                let cutoff = times.values.sorted()[times.count / 2]
                times = times.filter { $0.value > cutoff }
            }
            // One hash on the common path (times only grow); an older time arriving late puts the newer back.
            if let previous = times.updateValue(time, forKey: hash), previous > time { times[hash] = previous }
        }
    }

    /// The latest unflushed time for one asset.
    public func latest(_ hash: SHA256Digest) -> Double? {
        times.withLock { $0[hash] }
    }

    /// Takes every time heard since the last drain.
    public func drain() -> [SHA256Digest: Double] {
        times.withLock { times in
            defer { times = [:] }
            return times
        }
    }

    /// Writes the times heard since the last flush to the index (blocking: call off the cooperative pool). On
    /// a failure the times are put back, so a later flush retries them.
    public func flush(to index: AssetIndex) throws {
        let pending = drain()
        do { try index.recordHeard(pending) } catch {
            for (hash, time) in pending { heard(hash, at: time) }
            throw error
        }
    }
}

/// Turns answered voice requests into hearings: a hit, the generation's own request and every request that
/// joined it. Failures and deletions are not hearings.
struct HeardRecorder: VoiceEventSink {
    let log: HeardLog

    func record(_ event: VoiceEvent) {
        switch event {
        case let .hit(usage), let .generated(usage, _), let .joined(usage):
            log.heard(usage.hash, at: Date().timeIntervalSince1970)
        case .failed, .deleted:
            break
        }
    }
}
