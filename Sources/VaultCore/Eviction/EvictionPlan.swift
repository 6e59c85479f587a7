/// Which assets the disk quota evicts: pure, so the rule is tested apart from any store.
///
/// Above `limit` bytes (each asset counted once, however many books link it), assets go in order of when they
/// were last heard, oldest first (ties by hash, so a plan is reproducible), skipping pinned ones, until the
/// store is at or under `target`. The target sits below the limit so that a store at its limit is not evicting
/// one asset per generation.
public struct EvictionPlan: Sendable, Equatable {
    public struct Candidate: Sendable, Equatable {
        public let hash: SHA256Digest
        public let bytes: Int
        /// Seconds since 1970: the last hit or download, or the asset's creation when never heard.
        public let lastHeard: Double
        public let pinned: Bool

        public init(hash: SHA256Digest, bytes: Int, lastHeard: Double, pinned: Bool) {
            self.hash = hash
            self.bytes = bytes
            self.lastHeard = lastHeard
            self.pinned = pinned
        }
    }

    /// The assets to evict, oldest first, with the time each was last heard when planned.
    public let evict: [Candidate]
    public let bytesBefore: Int
    public let bytesAfter: Int
    /// True when even evicting every unpinned asset leaves the store above the target (pinned audio alone is
    /// larger): the operator should raise the limit or unpin.
    public let targetUnreachable: Bool

    /// The target for a limit: 90 % of it.
    public static func target(forLimit limit: Int) -> Int { limit - limit / 10 }

    public init(candidates: [Candidate], storedBytes: Int, limit: Int, target: Int? = nil) {
        let target = min(target ?? Self.target(forLimit: limit), limit)
        bytesBefore = storedBytes
        guard storedBytes > limit else {
            evict = []
            bytesAfter = storedBytes
            targetUnreachable = false
            return
        }
        let order = candidates.filter { !$0.pinned }.sorted {
            $0.lastHeard != $1.lastHeard ? $0.lastHeard < $1.lastHeard : $0.hash.hex < $1.hash.hex
        }
        var remaining = storedBytes
        var chosen: [Candidate] = []
        for candidate in order where remaining > target {
            chosen.append(candidate)
            remaining -= candidate.bytes
        }
        evict = chosen
        bytesAfter = remaining
        targetUnreachable = remaining > target
    }
}
