import Foundation
import Synchronization

/// The quota of a whole cluster (Docs/CLUSTER.md, "One quota for the cluster"): `VOICEVAULT_MAX_STORE_BYTES`
/// bounds every asset the catalog holds (each counted once, as on one machine), and one node at a time, the one
/// holding the evictor's role, evicts the least recently heard unpinned assets down to 90 % of it, by the same
/// rule (`EvictionPlan`) as one machine's quota. Every node sends its heard times to the catalog first
/// (`pushHeard`), so "least recently heard" is the cluster's, not one node's.
///
/// Each eviction is one catalog step with its guards (not pinned, not heard since planned); the record goes
/// first, then the blob when nothing names it, then every node's copy, as for an operator's delete.
public final class ClusterQuota: Sendable {
    let cluster: any ClusterStore
    let local: AssetStore
    /// This node's heard times written to its own index and not yet to the catalog (`AssetEviction.backlog`).
    let backlog: HeardLog
    let events: any VoiceEventSink
    private let role = Mutex<(any ClusterLease)?>(nil)

    public init(cluster: any ClusterStore, local: AssetStore, backlog: HeardLog, events: any VoiceEventSink) {
        self.cluster = cluster
        self.local = local
        self.backlog = backlog
        self.events = events
    }

    /// Sends the times this node heard to the catalog; on a failure they wait for the next pass.
    public func pushHeard() async throws {
        let pending = backlog.drain()
        guard !pending.isEmpty else { return }
        do { try await cluster.recordHeard(pending) } catch {
            for (hash, time) in pending { backlog.heard(hash, at: time) }
            throw error
        }
    }

    /// Whether this node is the cluster's evictor now: keeps the role it holds, or takes it when it is free.
    public func holdsEvictorRole() async throws -> Bool {
        if let held = role.withLock({ $0 }), held.isHeld { return true }
        let taken = try await cluster.takeEvictorRole()
        role.withLock { $0 = taken }
        return taken != nil
    }

    /// Gives the role up (at shutdown), for another node to take at once.
    public func releaseRole() async {
        await role.withLock { held in
            defer { held = nil }
            return held
        }?.release()
    }

    /// Brings the cluster under `target` (90 % of `limit` by default) when it is over `limit`; a dry run plans.
    public func run(limit: Int, target: Int? = nil, dryRun: Bool = false) async throws -> AssetEviction.Result {
        try? await pushHeard()
        let stored = try await cluster.totals().bytes
        var result = AssetEviction.Result(dryRun: dryRun, limit: limit, target: target, stored: stored)
        guard stored > limit else { return result }
        let plan = EvictionPlan(candidates: try await cluster.evictionCandidates(), storedBytes: stored, limit: limit, target: target)
        result.targetUnreachable = plan.targetUnreachable
        if dryRun {
            result.planned(plan)
            return result
        }
        let local = local
        for candidate in plan.evict {
            switch try await cluster.evict(candidate.hash, plannedLastHeard: candidate.lastHeard) {
            case let .evicted(record):
                _ = try await BlockingIO.run { try local.remove(candidate.hash) }
                result.evicted.append(candidate.hash.hex)
                result.bytesFreed += record.byteSize
                var deletion = VoiceEvent.Deletion(
                    action: VoiceEvent.Deletion.evictAction, contentHash: candidate.hash.hex, bookId: nil,
                    detail: "last heard \(ISO8601Timestamp.format(secondsSince1970: candidate.lastHeard)) (cluster)")
                deletion.removal = VoiceService.removal(of: record)
                events.record(.deleted(deletion))
            case .kept:
                result.skipped += 1
            case .absent:
                continue
            }
        }
        result.bytesAfter = try await cluster.totals().bytes
        return result
    }
}
