import Logging
public import PostgresNIO
public import VaultCore

/// The character budgets in a PostgreSQL catalog (Docs/CLUSTER.md, "Money"): the server's day in
/// `budget_days`, each client key's in `key_budget_days`. A reservation is one transaction: for each counter in
/// the given order, one statement adds the characters only when the counter stays within its limit, under the
/// row's lock; a counter that refuses rolls the whole transaction back. Concurrent nodes serialise on the rows
/// and never overspend. Every reservation takes the rows in the same order (the server's, then the key's), so
/// two of them cannot deadlock.
public struct PostgresSpendCounters: SpendCounters {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    private struct Refused: Error {
        let refusal: SpendRefusal
    }

    public func reserve(_ characters: Int, on counters: [SpendCounter]) async throws -> SpendRefusal? {
        do {
            try await client.withTransaction(logger: logger) { connection in
                for counter in counters {
                    if let limit = counter.limit, characters > limit {
                        throw Refused(refusal: SpendRefusal(counter: counter, spent: try await Self.spent(counter, on: connection, logger)))
                    }
                    let limit = counter.limit ?? Int.max
                    let rows =
                        if let key = counter.client {
                            try await connection.query(
                                """
                                INSERT INTO key_budget_days (key_id, day, spent) VALUES (\(key), \(counter.day)::date, \(characters))
                                ON CONFLICT (key_id, day) DO UPDATE SET spent = key_budget_days.spent + excluded.spent
                                WHERE key_budget_days.spent + excluded.spent <= \(limit)
                                RETURNING spent
                                """, logger: logger)
                        } else {
                            try await connection.query(
                                """
                                INSERT INTO budget_days (day, spent) VALUES (\(counter.day)::date, \(characters))
                                ON CONFLICT (day) DO UPDATE SET spent = budget_days.spent + excluded.spent
                                WHERE budget_days.spent + excluded.spent <= \(limit)
                                RETURNING spent
                                """, logger: logger)
                        }
                    var added = false
                    for try await _ in rows.decode(Int.self) { added = true }
                    if !added {
                        throw Refused(refusal: SpendRefusal(counter: counter, spent: try await Self.spent(counter, on: connection, logger)))
                    }
                }
            }
            return nil
        } catch let error as PostgresTransactionError {
            if let refused = error.closureError as? Refused { return refused.refusal }
            throw error
        }
    }

    public func add(_ characters: Int, to counters: [SpendCounter]) async throws {
        try await client.withTransaction(logger: logger) { connection in
            for counter in counters {
                if let key = counter.client {
                    try await connection.query(
                        """
                        INSERT INTO key_budget_days (key_id, day, spent) VALUES (\(key), \(counter.day)::date, greatest(0, \(characters)))
                        ON CONFLICT (key_id, day) DO UPDATE SET spent = greatest(0, key_budget_days.spent + \(characters))
                        """, logger: logger)
                } else {
                    try await connection.query(
                        """
                        INSERT INTO budget_days (day, spent) VALUES (\(counter.day)::date, greatest(0, \(characters)))
                        ON CONFLICT (day) DO UPDATE SET spent = greatest(0, budget_days.spent + \(characters))
                        """, logger: logger)
                }
            }
        }
    }

    public func spent(_ counter: SpendCounter) async throws -> Int {
        try await client.withConnection { connection in try await Self.spent(counter, on: connection, logger) }
    }

    static func spent(_ counter: SpendCounter, on connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        let rows =
            if let key = counter.client {
                try await connection.query(
                    "SELECT spent FROM key_budget_days WHERE key_id = \(key) AND day = \(counter.day)::date", logger: logger)
            } else {
                try await connection.query("SELECT spent FROM budget_days WHERE day = \(counter.day)::date", logger: logger)
            }
        for try await spent in rows.decode(Int.self) { return spent }
        return 0
    }
}
