import Foundation
import Synchronization

/// Runs the disk quota over a store: flushes the heard times, plans (`EvictionPlan`) from one pass over the
/// index, and evicts in the plan's order through the store's crash-safe removal, reporting each eviction as an
/// admin-style deletion (`evict`) to the event sinks, so the ledger and the metrics see it.
///
/// Two guards between planning and each eviction: an asset heard since it was planned (a hit or a download in
/// between) is skipped, and the store re-checks pins in the transaction that removes the record. Blocking; runs
/// are serialised here, so the quota's own pass and an operator's `gc` never plan against each other.
public final class AssetEviction: Sendable {
    public let store: AssetStore
    public let heard: HeardLog
    public let events: any VoiceEventSink
    /// On a cluster node, where every flushed time also goes until the cluster's quota sends it to the catalog
    /// (nil on one machine).
    public let backlog: HeardLog?
    private let runs = Mutex(())

    public init(store: AssetStore, heard: HeardLog, events: any VoiceEventSink, backlog: HeardLog? = nil) {
        self.store = store
        self.heard = heard
        self.events = events
        self.backlog = backlog
    }

    /// Writes the times heard since the last flush to the index, and hands them to the backlog for the cluster
    /// (blocking). On a failure of the index the times are put back, so a later flush retries them.
    public func flushHeard() throws {
        let pending = heard.drain()
        do { try store.index.recordHeard(pending) } catch {
            for (hash, time) in pending { heard.heard(hash, at: time) }
            throw error
        }
        if let backlog { for (hash, time) in pending { backlog.heard(hash, at: time) } }
    }

    public struct Result: Sendable, Equatable, Codable {
        public var dryRun = false
        public var limit = 0
        public var target = 0
        public var bytesBefore = 0
        public var bytesAfter = 0
        /// Evicted (or, in a dry run, to be evicted) content hashes, oldest heard first.
        public var evicted: [String] = []
        public var bytesFreed = 0
        /// Planned but kept: heard again or pinned meanwhile.
        public var skipped = 0
        public var targetUnreachable = false

        /// Before a run: `stored` bytes against `limit` (and `target`, 90 % of it by default).
        init(dryRun: Bool, limit: Int, target: Int?, stored: Int) {
            self.dryRun = dryRun
            self.limit = limit
            self.target = min(target ?? EvictionPlan.target(forLimit: limit), limit)
            bytesBefore = stored
            bytesAfter = stored
        }

        /// A dry run's answer: what `plan` would evict, nothing evicted.
        mutating func planned(_ plan: EvictionPlan) {
            targetUnreachable = plan.targetUnreachable
            evicted = plan.evict.map(\.hash.hex)
            bytesFreed = plan.evict.reduce(0) { $0 + $1.bytes }
            bytesAfter = plan.bytesAfter
        }
    }

    /// The candidates of one pass over the index: every asset with its size, last heard time (the later of the
    /// stored, the unflushed and its creation) and whether a pinned book references it.
    public func candidates() throws -> [EvictionPlan.Candidate] {
        let pinned = Set(try store.index.pinnedBooks().map(\.bookId))
        var candidates: [EvictionPlan.Candidate] = []
        try store.index.forEachRecord(onCorrupt: { _, _ in }) { record in
            guard let hash = SHA256Digest(hex: record.contentHash) else { return }
            let stored = try store.index.heardAt(hash) ?? 0
            let lastHeard = max(stored, heard.latest(hash) ?? 0, record.createdAt)
            candidates.append(
                .init(
                    hash: hash, bytes: record.byteSize, lastHeard: lastHeard,
                    pinned: record.bookIds.contains(where: pinned.contains)))
        }
        return candidates
    }

    /// Brings the store under `target` (default 90 % of `limit`) when it is over `limit`; a dry run only plans.
    public func run(limit: Int, target: Int? = nil, dryRun: Bool = false) throws -> Result {
        try runs.withLock { _ in try runLocked(limit: limit, target: target, dryRun: dryRun) }
    }

    private func runLocked(limit: Int, target: Int?, dryRun: Bool) throws -> Result {
        try flushHeard()
        let stored = try store.index.storedBytes()
        var result = Result(dryRun: dryRun, limit: limit, target: target, stored: stored)
        guard stored > limit else { return result }
        let plan = EvictionPlan(candidates: try candidates(), storedBytes: stored, limit: limit, target: target)
        result.targetUnreachable = plan.targetUnreachable
        if dryRun {
            result.planned(plan)
            return result
        }
        for candidate in plan.evict {
            if let since = heard.latest(candidate.hash), since > candidate.lastHeard {
                result.skipped += 1
                continue
            }
            switch try store.evict(candidate.hash) {
            case let .evicted(removal):
                result.evicted.append(candidate.hash.hex)
                result.bytesFreed += removal.bytesFreed
                var deletion = VoiceEvent.Deletion(
                    action: VoiceEvent.Deletion.evictAction, contentHash: candidate.hash.hex, bookId: nil,
                    detail: "last heard \(ISO8601Timestamp.format(secondsSince1970: candidate.lastHeard))")
                deletion.removal = removal
                events.record(.deleted(deletion))
            case .pinned:
                result.skipped += 1
            case .absent:
                continue
            }
        }
        result.bytesAfter = try store.index.storedBytes()
        return result
    }
}
