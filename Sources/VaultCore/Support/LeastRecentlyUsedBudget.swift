/// The bookkeeping of a byte-bounded LRU cache, without the values: which keys are held, what each costs,
/// and which to evict when a new one is admitted. Kept apart from the cached bytes so the policy is a plain
/// value type, tested without I/O; the cache that owns the bytes applies its decisions.
///
/// Recency is a doubly linked list threaded through a dictionary, so `touch`, `admit` and eviction are O(1).
///
/// `@inlinable` throughout: its callers are in the server module, and unspecialised generic code there (every
/// key hashed and compared through witness tables, generic metadata looked up at run time) was measurable on
/// every download (Docs/PERFORMANCE.md, "Downloads from the request bytes").
public struct LeastRecentlyUsedBudget<Key: Hashable & Sendable>: Sendable {
    @usableFromInline struct Entry: Sendable {
        @usableFromInline var cost: Int
        @usableFromInline var newer: Key?
        @usableFromInline var older: Key?

        @inlinable init(cost: Int, newer: Key? = nil, older: Key? = nil) {
            self.cost = cost
            self.newer = newer
            self.older = older
        }
    }

    /// Most bytes held at once.
    public let capacity: Int
    /// Largest single entry admitted. A cache of hot small files should not be flushed by one big file.
    public let entryLimit: Int
    /// Bytes held now.
    @inlinable public var used: Int { usedCost }
    @usableFromInline var usedCost = 0
    @usableFromInline var entries: [Key: Entry] = [:]
    @usableFromInline var newest: Key?
    @usableFromInline var oldest: Key?

    @inlinable public init(capacity: Int, entryLimit: Int) {
        self.capacity = max(0, capacity)
        self.entryLimit = max(0, min(entryLimit, capacity))
    }

    @inlinable public var count: Int { entries.count }
    @inlinable public func contains(_ key: Key) -> Bool { entries[key] != nil }

    /// Whether an entry of this cost could ever be held.
    @inlinable public func admits(cost: Int) -> Bool { cost >= 0 && cost <= entryLimit }

    /// Marks `key` as just used. Returns false when it is not held.
    @inlinable @discardableResult
    public mutating func touch(_ key: Key) -> Bool {
        if newest == key { return true }  // the common case for a hot file: no relinking
        guard entries[key] != nil else { return false }
        unlink(key)
        linkAsNewest(key)
        return true
    }

    /// Holds `key` at `cost` as the newest entry and returns the keys evicted to make room, oldest first.
    /// An entry over `entryLimit` is refused (returns nil) and nothing is evicted. Admitting a key already
    /// held replaces its cost.
    ///
    /// `reserved` is memory the owner holds outside this budget (entries evicted but still in use) and counts
    /// against the capacity; when even evicting everything would not make room beside it, the entry is
    /// refused and nothing is evicted.
    @inlinable public mutating func admit(_ key: Key, cost: Int, reserved: Int = 0) -> [Key]? {
        guard admits(cost: cost), reserved + cost <= capacity else { return nil }
        let replaced = entries[key]?.cost ?? 0
        var stillNeeded = used - replaced + reserved + cost - capacity
        var victims: [Key] = []
        var cursor = oldest
        while stillNeeded > 0, let candidate = cursor {
            cursor = entries[candidate]?.newer
            guard candidate != key, let entry = entries[candidate] else { continue }
            victims.append(candidate)
            stillNeeded -= entry.cost
        }
        guard stillNeeded <= 0 else { return nil }
        remove(key)
        var evicted: [Key] = []
        for victim in victims {
            remove(victim)
            evicted.append(victim)
        }
        entries[key] = Entry(cost: cost)
        usedCost += cost
        linkAsNewest(key)
        return evicted
    }

    /// Forgets `key`. Returns false when it was not held.
    @inlinable @discardableResult
    public mutating func remove(_ key: Key) -> Bool {
        guard let entry = entries[key] else { return false }
        unlink(key)
        entries[key] = nil
        usedCost -= entry.cost
        return true
    }

    /// Keys from newest to oldest (for tests and diagnostics).
    @inlinable public var keysByRecency: [Key] {
        var keys: [Key] = []
        var cursor = newest
        while let key = cursor {
            keys.append(key)
            cursor = entries[key]?.older
        }
        return keys
    }

    @inlinable mutating func unlink(_ key: Key) {
        guard let entry = entries[key] else { return }
        if let newer = entry.newer { entries[newer]?.older = entry.older } else { newest = entry.older }
        if let older = entry.older { entries[older]?.newer = entry.newer } else { oldest = entry.newer }
        entries[key]?.newer = nil
        entries[key]?.older = nil
    }

    @inlinable mutating func linkAsNewest(_ key: Key) {
        entries[key]?.older = newest
        entries[key]?.newer = nil
        if let previous = newest { entries[previous]?.newer = key }
        newest = key
        if oldest == nil { oldest = key }
    }
}
