import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// One flight per hash across nodes, against a real PostgreSQL: one winner among many, the others told who
/// holds it, and a flight taken over when its holder's connection dies.
@Suite struct PostgresFlightLockTests {
    static let logger = Logger(label: "flight-test")

    static func migratedCatalog() async throws -> CatalogURL {
        let url = try await PostgreSQL.shared().createDatabase()
        try await withCatalog(url) { client, _ in _ = try await CatalogMigrator.migrate(client, logger: Self.logger) }
        return try CatalogURL(parsing: url)
    }

    @Test func oneNodeWinsAndTheOthersAreToldWhere() async throws {
        let catalog = try await Self.migratedCatalog()
        let a = PostgresFlightLock(catalog: catalog, nodeURL: "http://node-a:8080", logger: Self.logger)
        let b = PostgresFlightLock(catalog: catalog, nodeURL: "http://node-b:8080", logger: Self.logger)
        let hash = SHA256Digest.test("chapter one")
        guard case let .won(flight) = try await a.claim(hash) else {
            Issue.record("the first claim must win")
            return
        }
        guard case let .heldElsewhere(holder) = try await b.claim(hash) else {
            Issue.record("a second claim must not win while the first is held")
            await flight.end()
            return
        }
        #expect(holder == "http://node-a:8080")
        // Another hash is its own flight.
        guard case let .won(other) = try await b.claim(SHA256Digest.test("chapter two")) else {
            Issue.record("another hash must be free")
            await flight.end()
            return
        }
        await other.end()
        await flight.end()
        #expect(!flight.isHeld)
        guard case let .won(again) = try await b.claim(hash) else {
            Issue.record("an ended flight must be free to win")
            return
        }
        await again.end()
    }

    /// Forty claims for one hash from four nodes at once: exactly one wins.
    @Test func concurrentClaimsHaveOneWinner() async throws {
        let catalog = try await Self.migratedCatalog()
        let hash = SHA256Digest.test("contended")
        let nodes = (0..<4).map { PostgresFlightLock(catalog: catalog, nodeURL: "http://node-\($0)", logger: Self.logger) }
        let flights = try await withThrowingTaskGroup(of: HeldFlight?.self) { group in
            for claim in 0..<40 {
                group.addTask {
                    if case let .won(flight) = try await nodes[claim % 4].claim(hash) { return flight }
                    return nil
                }
            }
            var won: [HeldFlight] = []
            for try await flight in group { if let flight { won.append(flight) } }
            return won
        }
        #expect(flights.count == 1)
        for flight in flights { await flight.end() }
    }

    /// The holder's session ends without it (its node died, or the network cut it off): PostgreSQL releases
    /// the lock, another node takes the flight over, and the old holder's `end` still returns.
    @Test func aFlightWhoseHolderDiedIsTakenOver() async throws {
        let catalog = try await Self.migratedCatalog()
        let a = PostgresFlightLock(catalog: catalog, nodeURL: "http://node-a", logger: Self.logger)
        let b = PostgresFlightLock(catalog: catalog, nodeURL: "http://node-b", logger: Self.logger)
        let hash = SHA256Digest.test("orphaned")
        guard case let .won(flight) = try await a.claim(hash) else {
            Issue.record("the first claim must win")
            return
        }
        let admin = PostgresClient(configuration: catalog.clientConfiguration, backgroundLogger: Self.logger)
        try await admin.whileRunning {
            // Every backend of this test's database holding a two-key advisory lock: the flight's.
            try await admin.query(
                """
                SELECT pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND objsubid = 2
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """, logger: Self.logger)
        }
        var takenOver: HeldFlight?
        try await waitUntil("another node takes the flight over") {
            if case let .won(flight) = try await b.claim(hash) { takenOver = flight }
            return takenOver != nil
        }
        await flight.end()
        await takenOver?.end()
    }
}
