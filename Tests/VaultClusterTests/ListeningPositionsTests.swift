import Logging
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// Listening positions in SQLite and PostgreSQL, held to one contract: the later client time wins whatever
/// arrives last, a key never holds more listeners than its limit even when they race, keys never meet.
@Suite struct ListeningPositionsTests {
    static func position(_ listener: String, _ character: Int, at: Double, book: String = "book") -> ListeningPosition {
        ListeningPosition(listener: listener, bookId: book, chapterId: "ch-\(character % 3)", character: character, at: at)
    }

    static func holdsTheContract(_ positions: any ListeningPositions) async throws {
        #expect(try await positions.position(keyId: "k", listener: "ann", bookId: "book") == nil)
        #expect(
            try await positions.save(Self.position("ann", 10, at: 100), keyId: "k", limitPerKey: 5)
                == .saved(Self.position("ann", 10, at: 100)))
        // An older write loses and is told what is kept; a later one wins.
        #expect(
            try await positions.save(Self.position("ann", 20, at: 50), keyId: "k", limitPerKey: 5)
                == .kept(Self.position("ann", 10, at: 100)))
        #expect(
            try await positions.save(Self.position("ann", 30, at: 150), keyId: "k", limitPerKey: 5)
                == .saved(Self.position("ann", 30, at: 150)))
        #expect(try await positions.position(keyId: "k", listener: "ann", bookId: "book") == Self.position("ann", 30, at: 150))
        // Keys and books never meet.
        #expect(try await positions.position(keyId: "other", listener: "ann", bookId: "book") == nil)
        #expect(try await positions.position(keyId: "k", listener: "ann", bookId: "another") == nil)
        // Twenty writes of one listener at once: the latest client time is what stays.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<20 {
                group.addTask {
                    _ = try await positions.save(Self.position("bob", n, at: Double(1_000 + n * 7 % 20)), keyId: "k", limitPerKey: 5)
                }
            }
            try await group.waitForAll()
        }
        #expect(try await positions.position(keyId: "k", listener: "bob", bookId: "book")?.at == 1_019)
        // Ten new listeners at once against a limit of five: three more fit beside ann and bob, never more.
        let outcomes = try await withThrowingTaskGroup(of: PositionSave.self) { group in
            for n in 0..<10 { group.addTask { try await positions.save(Self.position("new-\(n)", n, at: 1), keyId: "k", limitPerKey: 5) } }
            var all: [PositionSave] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { if case .saved = $0 { true } else { false } }.count == 3)
        #expect(outcomes.filter { $0 == .limitReached(5) }.count == 7)
        // A listener already there may still move at the limit; another key has its own.
        #expect(
            try await positions.save(Self.position("ann", 31, at: 200), keyId: "k", limitPerKey: 5)
                == .saved(Self.position("ann", 31, at: 200)))
        #expect(
            try await positions.save(Self.position("ann", 1, at: 1), keyId: "other", limitPerKey: 5)
                == .saved(Self.position("ann", 1, at: 1)))
    }

    @Test func sqliteHoldsTheContract() async throws {
        let directory = TemporaryDirectory("vv-positions")
        try await Self.holdsTheContract(EmbeddedListeningPositions(ledger: try UsageLedger(path: directory.sub("usage.sqlite"))))
    }

    @Test func postgreSQLHoldsTheContract() async throws {
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Logger(label: "positions-test"))
            try await Self.holdsTheContract(PostgresListeningPositions(client: client, logger: Logger(label: "positions-test")))
        }
    }
}
