import Logging
import Synchronization
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

    /// Distinct misses are the clients' to choose: past the node's allowance a claim waits for a place, and
    /// PostgreSQL never sees more of the node's flight connections than the allowance, however many ask.
    @Test func claimsPastTheAllowanceWaitAndOpenNoConnection() async throws {
        var catalog = try await Self.migratedCatalog()
        catalog.connections = 2
        let node = PostgresFlightLock(catalog: catalog, nodeURL: "http://node-a", logger: Self.logger)
        let held = WonFlights()
        let claims = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        guard case let .won(flight) = try await node.claim(SHA256Digest.test("distinct \(index)")) else {
                            Issue.record("distinct hashes are distinct flights")
                            return
                        }
                        held.flights.withLock { $0.append(flight) }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await waitUntil("two flights held and four claims waiting") {
            let waiting = await node.claimsWaiting
            return held.flights.withLock { $0.count } == 2 && waiting == 4
        }
        #expect(try await Self.flightConnections(catalog) == 2)
        // Each ended flight lets the longest waiter in, until all six have had their turn.
        for ended in 0..<6 {
            let flight = try await Self.held(held, number: ended)
            await flight.end()
            await flight.end()  // a second end gives no second place
            #expect(try await Self.flightConnections(catalog) <= 2)
        }
        try await claims.value
        #expect(await node.claimsWaiting == 0)
        #expect(try await Self.flightConnections(catalog) == 0)
    }

    /// The flight won `number`th (from 0), once it has been.
    static func held(_ held: WonFlights, number: Int) async throws -> HeldFlight {
        var flight: HeldFlight?
        try await waitUntil("flight \(number + 1) is won") {
            flight = held.flights.withLock { $0.count > number ? $0[number] : nil }
            return flight != nil
        }
        return try #require(flight)
    }

    /// Connections to this test's database holding a two-key advisory lock: flights.
    static func flightConnections(_ catalog: CatalogURL) async throws -> Int {
        let admin = PostgresClient(configuration: catalog.clientConfiguration, backgroundLogger: logger)
        return try await admin.whileRunning {
            let rows = try await admin.query(
                """
                SELECT count(DISTINCT pid)::int FROM pg_locks
                WHERE locktype = 'advisory' AND objsubid = 2
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """, logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
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
        try await terminateAdvisoryLockHolders(catalog, keyForm: 2)
        var takenOver: HeldFlight?
        try await waitUntil("another node takes the flight over") {
            if case let .won(flight) = try await b.claim(hash) { takenOver = flight }
            return takenOver != nil
        }
        await flight.end()
        await takenOver?.end()
    }
}

/// The flights a test's claims won, in the order they were won.
final class WonFlights: Sendable {
    let flights = Mutex<[HeldFlight]>([])
}
