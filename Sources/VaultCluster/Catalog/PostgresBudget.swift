import Logging
public import PostgresNIO

/// The daily character budgets in a PostgreSQL catalog, reserved atomically so that concurrent nodes never
/// overspend: one statement adds the characters only when the day's total stays within the limit, under the
/// row's lock (Docs/CLUSTER.md, "Money"). The same rule as the embedded store's reservation in LMDB.
public struct PostgresBudget: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Reserves `characters` of `day` (`yyyy-mm-dd`) for the whole server; nil when that would pass `limit`,
    /// else the day's total with them.
    public func reserve(_ characters: Int, day: String, limit: Int) async throws -> Int? {
        guard characters >= 0, characters <= limit else { return nil }
        let rows = try await client.query(
            """
            INSERT INTO budget_days (day, spent) VALUES (\(day)::date, \(characters))
            ON CONFLICT (day) DO UPDATE SET spent = budget_days.spent + excluded.spent
            WHERE budget_days.spent + excluded.spent <= \(limit)
            RETURNING spent
            """, logger: logger)
        for try await spent in rows.decode(Int.self) { return spent }
        return nil
    }

    /// Gives back characters reserved and not spent (a failed generation, a settlement below the reservation).
    public func giveBack(_ characters: Int, day: String) async throws {
        try await client.query(
            "UPDATE budget_days SET spent = greatest(0, spent - \(characters)) WHERE day = \(day)::date", logger: logger)
    }

    /// What `day` has spent so far.
    public func spent(day: String) async throws -> Int {
        let rows = try await client.query("SELECT spent FROM budget_days WHERE day = \(day)::date", logger: logger)
        for try await spent in rows.decode(Int.self) { return spent }
        return 0
    }
}
