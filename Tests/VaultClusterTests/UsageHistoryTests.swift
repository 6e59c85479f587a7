import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// The usage ledger in SQLite and in PostgreSQL, held to one report: the same events written to each answer
/// every `LedgerQuestion` alike, so a cluster's stats mean what one machine's mean.
@Suite struct UsageHistoryTests {
    static let logger = Logger(label: "usage-history-test")
    static let day: Double = 86_400
    /// Noon of 2026-12-07 (UTC), the report's "now".
    static let now: Double = 1_796_644_800

    /// Events over three weeks: generations with and without upstream's cost, keyless and named clients, hits and
    /// joined requests summed per day, asset, book and key, voices whose order depends on bytewise collation
    /// ("Zed" before "adam"), failures and admin actions.
    static func events() -> [LedgerEvent] {
        var events: [LedgerEvent] = []
        for (n, age) in [0.0, 0.5, 1, 3, 13, 14, 20].enumerated() {
            let at = now - age * day
            events.append(
                .generation(
                    .init(
                        at: at, contentHash: "hash-\(n)", bookId: "book-\(n % 3)", chapterId: n.isMultiple(of: 2) ? "ch-\(n)" : nil,
                        voiceId: ["Zed", "adam", "bella"][n % 3], modelId: "eleven_multilingual_v2", characters: 100 + n,
                        characterCost: n.isMultiple(of: 3) ? nil : 90 + n, upstreamRequestId: "req-\(n)",
                        upstreamMilliseconds: 800 + Double(n) * 10.5, writeMilliseconds: 2.25, indexMilliseconds: 0.5,
                        attempts: 1 + n % 2, clientKeyId: n == 4 ? nil : "key-\(n % 2)", clientName: n == 5 ? nil : "App \(n % 2)")))
            for repeat_ in 0..<(n + 1) {
                events.append(
                    .hit(
                        .init(
                            at: at + Double(repeat_), contentHash: "hash-\(n)", bookId: "book-\(n % 3)",
                            voiceId: ["Zed", "adam", "bella"][n % 3], characters: 100 + n, joined: repeat_ == 2,
                            clientKeyId: repeat_ == 1 ? nil : "key-\(repeat_ % 2)", clientName: repeat_ == 1 ? nil : "App \(repeat_ % 2)")))
            }
        }
        events.append(.failure(.init(at: now, bookId: "book-1", errorCode: "upstream_timeout", clientKeyId: "key-0", clientName: nil)))
        events.append(.failure(.init(at: now - day, bookId: "book-2", errorCode: "budget_exceeded", clientKeyId: nil, clientName: nil)))
        var removal = Removal()
        removal.books = ["book-1"]
        removal.links = 2
        removal.assetsRemoved = 1
        removal.bytesFreed = 4_181
        events.append(
            .adminAction(.init(at: now, action: "delete_asset", contentHash: "hash-1", bookId: nil, removal: removal, detail: nil)))
        return events
    }

    @Test func sqliteAndPostgreSQLAnswerTheSameReport() async throws {
        let directory = TemporaryDirectory("vv-usage-history")
        let embedded = EmbeddedUsageHistory(ledger: try UsageLedger(path: directory.sub("usage.sqlite")))
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            let postgres = PostgresUsageLedger(client: client, logger: Self.logger)
            // Written in two batches, so the hits' upserts add to rows already there.
            let events = Self.events()
            for history in [embedded as any UsageHistory, postgres] {
                try await history.write(LedgerBatch(Array(events.prefix(20))))
                try await history.write(LedgerBatch(Array(events.dropFirst(20))))
            }
            let expected = try await LedgerReport.read(embedded, now: Self.now)
            #expect(expected.generations == 7 && expected.failures == 2 && expected.joined > 0)
            #expect(expected.days.count > 1 && expected.days.count < 7, "the window cuts the history: \(expected.days)")
            #expect(try await LedgerReport.read(postgres, now: Self.now) == expected)
            let voices = try await LedgerReport.requestsByVoice(in: embedded)
            #expect(try await LedgerReport.requestsByVoice(in: postgres) == voices)
            for n in 0..<7 {
                let hits = try await LedgerReport.hits(of: "hash-\(n)", in: embedded)
                #expect(hits > 0)
                #expect(try await LedgerReport.hits(of: "hash-\(n)", in: postgres) == hits)
            }
            // Every question, cell by cell (the report reads fewer columns than some questions answer).
            let questions: [LedgerQuestion] = [
                .hitTotals, .generationTotals, .failureCount, .topVoices, .topBooks, .byClient, .days(from: "2026-11-20"),
                .recentGenerations, .upstreamMilliseconds(since: Self.now - 14 * Self.day), .hits(contentHash: "hash-3"),
            ]
            for question in questions {
                let answer = try await embedded.answer(question)
                #expect(try await postgres.answer(question) == answer, "\(question)")
            }
        }
    }

    /// `voicevault migrate`'s part: a history carried into the other database, whole, once; its rows read back
    /// cell for cell, hits adding to rows already there, a second carry from the same source adding nothing.
    @Test func aHistoryIsCarriedWholeAndOnce() async throws {
        let directory = TemporaryDirectory("vv-usage-carry")
        let embedded = EmbeddedUsageHistory(ledger: try UsageLedger(path: directory.sub("usage.sqlite")))
        let back = EmbeddedUsageHistory(ledger: try UsageLedger(path: directory.sub("back.sqlite")))
        try await embedded.write(LedgerBatch(Self.events()))
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            let postgres = PostgresUsageLedger(client: client, logger: Self.logger)
            #expect(try await embedded.identity() != postgres.identity())
            var rows: [LedgerTable: [[SQLiteDatabase.Value]]] = [:]
            for table in LedgerTable.allCases { rows[table] = try await embedded.rows(of: table) }
            #expect(rows.values.allSatisfy { !$0.isEmpty })
            let source = try await embedded.identity()
            #expect(try await postgres.carry(rows, from: source, at: Self.now))
            #expect(try await postgres.carry(rows, from: source, at: Self.now) == false)
            for table in LedgerTable.allCases {
                let there = try await postgres.rows(of: table)
                #expect(there == rows[table], "\(table)")
            }
            #expect(try await LedgerReport.read(postgres, now: Self.now) == LedgerReport.read(embedded, now: Self.now))
            // And out again, into a ledger that already counts a hit of its own on one of the rows.
            let own = LedgerBatch(Self.events()).hits[0]
            try await back.write(
                LedgerBatch([
                    .hit(
                        .init(
                            at: Self.now - 20 * Self.day, contentHash: own.contentHash, bookId: own.bookId, voiceId: own.voiceId,
                            characters: 1, joined: false, clientKeyId: own.clientKeyId.isEmpty ? nil : own.clientKeyId,
                            clientName: own.clientName))
                ]))
            var fromCluster: [LedgerTable: [[SQLiteDatabase.Value]]] = [:]
            for table in LedgerTable.allCases { fromCluster[table] = try await postgres.rows(of: table) }
            #expect(try await back.carry(fromCluster, from: postgres.identity(), at: Self.now))
            #expect(try await back.carry(fromCluster, from: postgres.identity(), at: Self.now) == false)
            let report = try await LedgerReport.read(back, now: Self.now)
            let original = try await LedgerReport.read(embedded, now: Self.now)
            #expect(report.hits == original.hits + 1 && report.generations == original.generations)
        }
    }

    /// Nodes write one ledger at once: hits on the same rows from eight writers, none lost, none deadlocked
    /// (each batch upserts its rows in one order).
    @Test func writersOnSeveralNodesAddUpWithoutLosingAHit() async throws {
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            let postgres = PostgresUsageLedger(client: client, logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for round in 0..<5 {
                            // Each writer names the assets in its own order; the batch puts them in one.
                            let hashes = (0..<6).map { "hash-\($0)" }.shuffled()
                            let events = hashes.map { hash in
                                LedgerEvent.hit(
                                    .init(
                                        at: Self.now + Double(round), contentHash: hash, bookId: "book", voiceId: "voice",
                                        characters: 10, joined: writer.isMultiple(of: 4), clientKeyId: "key", clientName: "App"))
                            }
                            try await postgres.write(LedgerBatch(events))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let report = try await LedgerReport.read(postgres, now: Self.now)
            #expect(report.hits + report.joined == 8 * 5 * 6)
            #expect(report.joined == 2 * 5 * 6)
            #expect(report.charactersSaved == 8 * 5 * 6 * 10)
        }
    }
}
