import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// The budget's counters, embedded (LMDB) and in PostgreSQL, held to one contract; and the cluster's, under
/// nodes reserving at once.
@Suite struct SpendCountersTests {
    static let logger = Logger(label: "budget-test")

    /// What every `SpendCounters` must do, whatever holds the counters.
    static func holdsTheContract(_ counters: any SpendCounters) async throws {
        let day = "2026-12-07"
        let server = SpendCounter(day: day, limit: 100)
        let greedy = SpendCounter(day: day, client: "key_greedy", limit: 30)
        #expect(try await counters.reserve(20, on: [server, greedy]) == nil)
        #expect(try await counters.spent(SpendCounter(day: day)) == 20)
        #expect(try await counters.spent(SpendCounter(day: day, client: "key_greedy")) == 20)
        // The key's own limit refuses, and the server's counter is left as it was: all or none.
        #expect(try await counters.reserve(11, on: [server, greedy]) == SpendRefusal(counter: greedy, spent: 20))
        #expect(try await counters.spent(SpendCounter(day: day)) == 20)
        // The server's limit refuses first; the key's counter is untouched.
        let calm = SpendCounter(day: day, client: "key_calm", limit: nil)
        #expect(try await counters.reserve(70, on: [server, calm]) == nil)
        #expect(try await counters.reserve(11, on: [server, calm]) == SpendRefusal(counter: server, spent: 90))
        #expect(try await counters.spent(SpendCounter(day: day, client: "key_calm")) == 70)
        // A reservation larger than a limit is refused even on a fresh day.
        #expect(try await counters.reserve(101, on: [SpendCounter(day: "2026-12-08", limit: 100)]) != nil)
        #expect(try await counters.spent(SpendCounter(day: "2026-12-08")) == 0)
        // Settling and giving back: never below zero; a day without a row counts zero.
        try await counters.add(-5, to: [server, calm])
        #expect(try await counters.spent(SpendCounter(day: day)) == 85)
        #expect(try await counters.spent(SpendCounter(day: day, client: "key_calm")) == 65)
        try await counters.add(-1_000, to: [SpendCounter(day: day, client: "key_greedy")])
        #expect(try await counters.spent(SpendCounter(day: day, client: "key_greedy")) == 0)
        try await counters.add(-3, to: [SpendCounter(day: "2026-12-09")])
        #expect(try await counters.spent(SpendCounter(day: "2026-12-09")) == 0)
        // Uncapped counters count.
        #expect(try await counters.reserve(1_000, on: [SpendCounter(day: "2026-12-10")]) == nil)
        #expect(try await counters.spent(SpendCounter(day: "2026-12-10")) == 1_000)
    }

    @Test func theEmbeddedCountersHoldTheContract() async throws {
        let directory = TemporaryDirectory("vv-spend")
        try await Self.holdsTheContract(EmbeddedSpendCounters(index: try AssetIndex(directory: directory.path)))
    }

    @Test func thePostgreSQLCountersHoldTheContract() async throws {
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            try await Self.holdsTheContract(PostgresSpendCounters(client: client, logger: Self.logger))
        }
    }

    /// Four nodes, each with its own pool, reserve at once on the server's budget and on one shared key's: no
    /// counter ever passes its limit, and each reservation landed on both or neither.
    @Test func concurrentNodesNeverOverspend() async throws {
        let url = try await PostgreSQL.shared().createDatabase()
        try await withCatalog(url) { client, _ in _ = try await CatalogMigrator.migrate(client, logger: Self.logger) }
        let day = "2026-12-07"
        let server = SpendCounter(day: day, limit: 500)
        let key = SpendCounter(day: day, client: "key_shared", limit: 350)
        let granted = try await withThrowingTaskGroup(of: (Int, Int).self) { nodes in
            for _ in 0..<4 {
                nodes.addTask {
                    try await withCatalog(url) { client, _ in
                        let counters = PostgresSpendCounters(client: client, logger: Self.logger)
                        return try await withThrowingTaskGroup(of: (Int, Int).self) { requests in
                            // Half the requests are the key's, half the server's alone.
                            for request in 0..<30 {
                                requests.addTask {
                                    let onKey = request.isMultiple(of: 2)
                                    let ok = try await counters.reserve(7, on: onKey ? [server, key] : [server]) == nil
                                    return ok ? (1, onKey ? 1 : 0) : (0, 0)
                                }
                            }
                            var total = (0, 0)
                            for try await (all, keyed) in requests { total = (total.0 + all, total.1 + keyed) }
                            return total
                        }
                    }
                }
            }
            var total = (0, 0)
            for try await (all, keyed) in nodes { total = (total.0 + all, total.1 + keyed) }
            return total
        }
        #expect(granted.0 == 71, "500 / 7 reservations fit the server's budget")
        let spent = try await withCatalog(url) { client, _ in
            let counters = PostgresSpendCounters(client: client, logger: Self.logger)
            return (try await counters.spent(SpendCounter(day: day)), try await counters.spent(key))
        }
        #expect(spent.0 == 497)
        #expect(spent.1 == granted.1 * 7 && spent.1 <= 350)
    }
}
