import Foundation
import Logging
import Testing
import VaultTestSupport
@testable import VaultCore

/// The SQLite usage ledger and its batched writer, on real files.
@Suite struct UsageLedgerTests {
    let directory = TemporaryDirectory()
    var path: String { directory.sub("usage.sqlite") }

    static func generation(_ hash: String, at: Double = 1_000, cost: Int? = 34, client: String? = "key_a", upstreamMs: Double = 900)
        -> LedgerEvent
    {
        .generation(
            .init(
                at: at, contentHash: hash, bookId: "book", chapterId: "ch-1", voiceId: "voice", modelId: "model",
                characters: 34, characterCost: cost, upstreamRequestId: "req", upstreamMilliseconds: upstreamMs,
                writeMilliseconds: 2, indexMilliseconds: 1, attempts: 1, clientKeyId: client, clientName: client.map { "name-" + $0 }))
    }

    static func hit(_ hash: String, book: String = "book", voice: String = "voice", joined: Bool = false, at: Double = 1_000) -> LedgerEvent
    {
        .hit(
            .init(
                at: at, contentHash: hash, bookId: book, voiceId: voice, characters: 10, joined: joined, clientKeyId: "key_a",
                clientName: "name-key_a"))
    }

    @Test func aBatchIsWrittenAndReportedBack() async throws {
        let ledger = try UsageLedger(path: path)
        try ledger.write([
            Self.generation("h1"), Self.generation("h2", cost: nil),
            Self.hit("h1"), Self.hit("h1"), Self.hit("h1", book: "other"), Self.hit("h2", voice: "v2"), Self.hit("h1", joined: true),
            .failure(.init(at: 1_000, bookId: "book", errorCode: "upstream_timeout", clientKeyId: nil, clientName: nil)),
        ])
        let report = try await LedgerReport.read(EmbeddedUsageHistory(ledger: ledger), now: 1_000)
        #expect(report.generations == 2)
        #expect(report.charactersGenerated == 68)
        #expect(report.hits == 4)
        #expect(report.joined == 1)
        #expect(report.misses == 3)
        #expect(report.charactersSaved == 50)
        #expect(report.failures == 1)
        #expect(report.topVoices == [.init(id: "voice", hits: 3), .init(id: "v2", hits: 1)])
        #expect(report.topBooks.first == .init(id: "book", hits: 3))
        #expect(report.byClient == [.init(name: "name-key_a", hits: 4, generations: 2, charactersGenerated: 68)])
        #expect(report.upstreamSecondsLastHour == [0.9, 0.9])
        #expect(report.recentGenerations.map(\.contentHash) == ["h2", "h1"])
        #expect(report.days == [.init(day: "1970-01-01", hits: 4, misses: 3, charactersGenerated: 68, charactersSaved: 50)])
        // Hits per day per asset per book per key: three rows for h1 (book, other) and h2; summed, not appended.
        #expect(try ledger.query("SELECT count(*) FROM hits").first?.first?.int == 3)
        #expect(try await LedgerReport.hits(of: "h1", in: EmbeddedUsageHistory(ledger: ledger)) == 3)
        try ledger.write([Self.hit("h1")])
        #expect(try await LedgerReport.hits(of: "h1", in: EmbeddedUsageHistory(ledger: ledger)) == 4)
    }

    @Test func theFileIsWALAndCarriesItsSchemaVersion() async throws {
        _ = try UsageLedger(path: path)
        let raw = try SQLiteDatabase(path: path)
        #expect(try raw.rows("PRAGMA journal_mode").first?.first?.string == "wal")
        #expect(try raw.rows("PRAGMA user_version").first?.first?.int == UsageLedger.schemaVersion)
        // Reopening a current ledger migrates nothing and keeps the rows.
        try UsageLedger(path: path).write([Self.generation("kept")])
        #expect(try await LedgerReport.read(EmbeddedUsageHistory(ledger: try UsageLedger(path: path)), now: 0).generations == 1)
    }

    @Test func aDamagedOrForeignFileIsSetAsideAndANewLedgerStarted() async throws {
        let data = DataDirectory(root: directory.path)
        for (name, content) in [
            ("garbage", Data(repeating: 0x5A, count: 8192)),
            ("newer", Data()),
        ] {
            try? FileManager.default.removeItem(atPath: data.ledgerFile)
            if name == "newer" {
                let newer = try SQLiteDatabase(path: data.ledgerFile)
                try newer.execute("PRAGMA user_version = 99")
            } else {
                try content.write(to: URL(fileURLWithPath: data.ledgerFile))
            }
            let ledger = try #require(
                UsageLedger.openOrSetAside(in: data, logger: Logger(label: "test"), now: Date(timeIntervalSince1970: Double(name.count))))
            try ledger.write([Self.generation("after")])
            #expect(try await LedgerReport.read(EmbeddedUsageHistory(ledger: ledger), now: 0).generations == 1, "\(name)")
            let setAside = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
                $0.hasPrefix("usage.sqlite.set-aside-")
            }
            #expect(!setAside.isEmpty, "\(name): the old file is kept for the operator, not deleted")
        }
    }

    @Test func aFullQueueDropsAndCountsInsteadOfBlocking() async throws {
        let writer = LedgerWriter(history: EmbeddedUsageHistory(ledger: try UsageLedger(path: path)), capacity: 3, batchSize: 100)
        for index in 0..<5 { writer.enqueue(Self.hit("h\(index)")) }
        #expect(writer.counts.dropped == 2)
        #expect(writer.counts.queued == 3)
        await writer.flush()
        #expect(writer.counts.written == 3)
        #expect(try await LedgerReport.read(writer.history, now: 1_000).hits == 3)
    }

    @Test func theWriterWritesAFullBatchAtOnceAndTheRestWhenCancelled() async throws {
        let writer = LedgerWriter(
            history: EmbeddedUsageHistory(ledger: try UsageLedger(path: path)), capacity: 100, batchSize: 4, interval: .seconds(3600))
        let loop = Task { await writer.run() }
        for index in 0..<4 { writer.enqueue(Self.hit("batch-\(index)")) }
        // A full batch wakes the writer; the hour-long interval never comes into it.
        var waited = 0
        while writer.counts.written < 4 && waited < 2_000 {
            try await Task.sleep(for: .milliseconds(5))
            waited += 1
        }
        #expect(writer.counts.written == 4)
        writer.enqueue(Self.hit("tail"))
        loop.cancel()
        await loop.value
        #expect(writer.counts.written == 5, "cancelling (shutdown) writes what is still queued")
    }
}

/// A batch's rows: hits summed per day, asset, book and key, in key order; the rest one row per event.
@Suite struct LedgerBatchTests {
    @Test func hitsAreSummedPerDayAssetBookAndKeyInKeyOrder() {
        let hit = { (hash: String, at: Double, key: String?, joined: Bool) -> LedgerEvent in
            .hit(
                .init(
                    at: at, contentHash: hash, bookId: "b", voiceId: "v", characters: 7, joined: joined, clientKeyId: key, clientName: nil))
        }
        let batch = LedgerBatch([
            hit("z", 0, "k", false), hit("a", 0, "k", false), hit("a", 10, "k", true), hit("a", 86_400, "k", false),
            hit("a", 0, nil, false), UsageLedgerTests.generation("g"),
        ])
        #expect(batch.generations.count == 1 && batch.failures.isEmpty && batch.adminActions.isEmpty)
        #expect(
            batch.hits.map { "\($0.day) \($0.contentHash) \($0.clientKeyId) \($0.hits)+\($0.joined) \($0.charactersSaved)" } == [
                "1970-01-01 a  1+0 7", "1970-01-01 a k 1+1 14", "1970-01-01 z k 1+0 7", "1970-01-02 a k 1+0 7",
            ])
    }
}
