public import Foundation

/// A daily cap on characters sent upstream (UTC days), or no cap. Hits cost nothing and are never refused.
///
/// Money is guarded by a reservation, not a check: a generation first reserves its characters in one atomic
/// step of its `SpendCounters` (an LMDB write transaction embedded, one PostgreSQL transaction in a cluster)
/// that refuses them when the day would go over the cap, and only then calls upstream. So
/// twenty concurrent misses against a small budget cannot all pass a check before any of them records its
/// spend. After the call the reservation is settled to the cost upstream reported, or released when the
/// generation failed (ElevenLabs bills nothing for a failed request). A crash between reserve and settle
/// leaves the characters counted: the budget can under-spend after a crash, never over-spend.
///
/// The counters are the truth for the budget; they survive restarts.
public struct CharacterBudget: Sendable {
    public let dailyLimit: Int?
    let counters: any SpendCounters

    /// Characters set aside for one generation on one UTC day.
    public struct Reservation: Sendable, Equatable {
        public let day: String
        public let characters: Int
        /// The client key whose own counter also holds the characters, if any.
        public var clientKeyId: String? = nil

        var counters: [SpendCounter] {
            [SpendCounter(day: day)] + (clientKeyId.map { [SpendCounter(day: day, client: $0)] } ?? [])
        }
    }

    /// The client a generation is for, with its own daily limit (nil: counted, not capped).
    public struct Client: Sendable, Equatable {
        public let keyId: String
        public let dailyLimit: Int?
        public init(keyId: String, dailyLimit: Int?) {
            self.keyId = keyId
            self.dailyLimit = dailyLimit
        }
    }

    public init(dailyLimit: Int?, counters: any SpendCounters) {
        self.dailyLimit = dailyLimit.flatMap { $0 > 0 ? $0 : nil }
        self.counters = counters
    }

    /// The embedded store's budget, counted in its LMDB index.
    public init(dailyLimit: Int?, index: AssetIndex) {
        self.init(dailyLimit: dailyLimit, counters: EmbeddedSpendCounters(index: index))
    }

    public static func day(of date: Date) -> String {
        ISO8601Timestamp.day(secondsSince1970: date.timeIntervalSince1970)
    }

    /// Reserves `characters` of today's budget, or throws `VoiceError.budgetExhausted` when they would take
    /// the day over the limit. Without a limit the characters are simply counted.
    public func reserve(_ characters: Int, now: Date = Date()) async throws -> Reservation {
        try await reserve(characters, for: nil, now: now)
    }

    /// Reserves on the server's counter and, for a client key, on that key's own counter too, in one
    /// transaction: a key over its own limit spends nothing of the server's, and the reverse.
    public func reserve(_ characters: Int, for client: Client?, now: Date = Date()) async throws -> Reservation {
        let reservation = Reservation(day: Self.day(of: now), characters: characters, clientKeyId: client?.keyId)
        // The server's counter, and the key's with its own limit (nil: counted, not capped).
        var counters = [SpendCounter(day: reservation.day, limit: dailyLimit)]
        if let client {
            counters.append(.init(day: reservation.day, client: client.keyId, limit: client.dailyLimit.flatMap { $0 > 0 ? $0 : nil }))
        }
        if let refusal = try await self.counters.reserve(characters, on: counters) {
            let limit = refusal.counter.limit ?? 0
            throw refusal.counter.client == nil
                ? VoiceError.budgetExhausted(spent: refusal.spent, limit: limit)
                : VoiceError.clientBudgetExhausted(spent: refusal.spent, limit: limit)
        }
        return reservation
    }

    /// Replaces the reserved amount with what upstream actually billed (its `character-cost`), on the day
    /// the reservation was made.
    public func settle(_ reservation: Reservation, actualCost: Int) async throws {
        let difference = actualCost - reservation.characters
        if difference != 0 { try await counters.add(difference, to: reservation.counters) }
    }

    /// Gives a reservation back: the generation failed and nothing was billed.
    public func release(_ reservation: Reservation) async throws {
        try await counters.add(-reservation.characters, to: reservation.counters)
    }

    /// Characters counted on the day of `now` so far (reserved and settled).
    public func spent(now: Date = Date()) async throws -> Int {
        try await counters.spent(SpendCounter(day: Self.day(of: now)))
    }

    /// Characters one client key has had generated on the day of `now`.
    public func spent(byClient keyId: String, now: Date = Date()) async throws -> Int {
        try await counters.spent(SpendCounter(day: Self.day(of: now), client: keyId))
    }
}
