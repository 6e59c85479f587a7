/// One UTC day's spend counter: the server's (`client` nil) or one client key's, with the limit a reservation
/// must keep it within (nil: counted, not capped).
public struct SpendCounter: Sendable, Equatable {
    public let day: String
    public let client: String?
    public let limit: Int?
    public init(day: String, client: String? = nil, limit: Int? = nil) {
        self.day = day
        self.client = client
        self.limit = limit
    }
}

/// A reservation a counter refused: which one, and what it had spent.
public struct SpendRefusal: Sendable, Equatable {
    public let counter: SpendCounter
    public let spent: Int
    public init(counter: SpendCounter, spent: Int) {
        self.counter = counter
        self.spent = spent
    }
}

/// Where the character budgets are counted: the catalog's half of `CharacterBudget`. The embedded store keeps
/// them in LMDB (`EmbeddedSpendCounters`), a cluster in PostgreSQL; either way the money rule is the same.
///
/// Invariant: `reserve` is atomic over all its counters, against every other node and thread: it adds the
/// characters to every counter or to none, and only when each stays within its limit. A check followed by a
/// write above this protocol would let concurrent generations all pass the check; this is why it is one call.
public protocol SpendCounters: Sendable {
    /// Adds `characters` to every counter if each stays within its limit; else adds nothing and returns the first
    /// counter (in the given order) that refused.
    func reserve(_ characters: Int, on counters: [SpendCounter]) async throws -> SpendRefusal?
    /// Adds (or, negative, gives back) characters on every counter, all in one step; none goes below zero.
    func add(_ characters: Int, to counters: [SpendCounter]) async throws
    /// Characters one counter holds.
    func spent(_ counter: SpendCounter) async throws -> Int
}

/// The embedded store's counters: LMDB's `meta` database, each call one write transaction, run off the
/// cooperative pool.
public struct EmbeddedSpendCounters: SpendCounters {
    public let index: AssetIndex
    public init(index: AssetIndex) { self.index = index }

    public func reserve(_ characters: Int, on counters: [SpendCounter]) async throws -> SpendRefusal? {
        let index = index
        return try await BlockingIO.run { try index.reserveCharacters(characters, counters: counters) }
    }

    public func add(_ characters: Int, to counters: [SpendCounter]) async throws {
        let index = index
        try await BlockingIO.run { try index.addCharactersSpent(characters, counters: counters) }
    }

    public func spent(_ counter: SpendCounter) async throws -> Int {
        let index = index
        return try await BlockingIO.run { try index.charactersSpent(counter) }
    }
}
