import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// `LegacyImporter` on the fixture (`Scripts/make-legacy-fixture.py`), in process, into real LMDB and files:
/// every row's outcome as the fixture's independent expectations say, nothing written twice, aliases, dry runs.
@Suite struct LegacyImporterTests {
    static func expected() throws -> LegacyFixture { try LegacyFixture.load() }

    static func legacyDatabase() throws -> SQLiteDatabase {
        try SQLiteDatabase(path: TestPaths.fixture("legacy.sqlite"), readOnly: true)
    }

    static let source = LegacyDirectorySource(root: TestPaths.fixture("legacy"))

    static func importer(table: String = "book_audio", columns: [String] = [], dryRun: Bool = false) -> LegacyImporter {
        LegacyImporter(options: .init(table: table, columnMappings: columns, bucket: "book-audio", dryRun: dryRun, pageSize: 4))
    }

    /// Everything a store holds that an import could change: records, aliases' targets, files and their bytes.
    static func digest(_ hex: String?) throws -> SHA256Digest {
        try #require(hex.flatMap(SHA256Digest.init(hex:)))
    }

    static func snapshot(_ store: AssetStore) throws -> [String] {
        var lines: [String] = []
        try store.index.forEachRecord { lines.append("\($0)") }
        for book in try FileSystem.contents(of: store.directory.audio) {
            for file in try FileSystem.contents(of: store.directory.audio + "/" + book) {
                let facts = try FileSystem.digest(of: store.directory.audio + "/" + book + "/" + file)
                lines.append("\(book)/\(file) \(facts.size) \(facts.sha256.hex)")
            }
        }
        lines.append("aliases \(try store.index.aliasCount())")
        return lines
    }

    @Test func theFixtureImportsAsExpectedAndASecondRunChangesNothing() async throws {
        let directory = TemporaryDirectory("vv-import")
        let vault = try OpenedVault(root: directory.sub("data"))
        let expected = try Self.expected()
        let outcomes = Tally()
        let summary = try await Self.importer().run(database: try Self.legacyDatabase(), source: Self.source, store: vault.store) {
            progress in
            outcomes.add()
            #expect(progress.total == expected.book_audio.count)
        }
        #expect(outcomes.value == expected.book_audio.count)
        #expect(summary.rows == expected.book_audio.count)
        let rejectedCodes = Dictionary(uniqueKeysWithValues: summary.rejected.map { ($0.rowId, $0.code) })
        for row in expected.book_audio {
            switch row.outcome {
            case "imported", "linked":
                #expect(rejectedCodes[row.rowId] == nil, "row \(row.rowId)")
                let hash = try Self.digest(row.contentHash)
                let record = try #require(try vault.store.record(for: hash), "row \(row.rowId)")
                #expect(record.bookIds.contains(row.book))
                #expect(record.origin == .imported)
                #expect(try vault.store.index.alignment(for: hash) == nil)
                let legacy = try Self.digest(row.legacyKey)
                #expect(try vault.store.index.aliasTarget(legacy) == hash)
                #expect(try vault.store.index.record(forHashOrAlias: legacy) == record)
            default:
                #expect(rejectedCodes[row.rowId] == row.outcome, "row \(row.rowId)")
            }
        }
        #expect(summary.imported == expected.book_audio.filter { $0.outcome == "imported" }.count)
        #expect(summary.linked == expected.book_audio.filter { $0.outcome == "linked" }.count)
        #expect(summary.alreadyPresent == 0)
        // The imported bytes are the legacy file's, and the row's creation time is kept.
        let first = try #require(expected.book_audio.first)
        let firstRecord = try #require(try vault.store.record(for: try Self.digest(first.contentHash)))
        #expect(firstRecord.sha256 == (try FileSystem.digest(of: TestPaths.fixture("speech-cbr128-id3.mp3"))).sha256.hex)
        #expect(firstRecord.createdAt == 1_709_294_400)
        #expect(firstRecord.durationSeconds > 4)
        #expect(summary.unreferencedFiles.contains("book-9/orphan.mp3"))
        #expect(try Fsck(store: vault.store).run(repair: false).isClean)

        let before = try Self.snapshot(vault.store)
        let again = try await Self.importer().run(database: try Self.legacyDatabase(), source: Self.source, store: vault.store)
        #expect(again.imported == 0)
        #expect(again.linked == 0)
        #expect(again.alreadyPresent == summary.imported + summary.linked)
        #expect(again.rejected == summary.rejected)
        #expect(again.bytesImported == 0)
        #expect(try Self.snapshot(vault.store) == before)
    }

    @Test func oddColumnNamesImportThroughMappings() async throws {
        let directory = TemporaryDirectory("vv-import")
        let vault = try OpenedVault(root: directory.sub("data"))
        let expected = try Self.expected().book_audio_v0
        // Without the mappings the table is refused before any row is read.
        await #expect(throws: LegacyImporter.Failure.self) {
            _ = try await Self.importer(table: "book_audio_v0").run(
                database: try Self.legacyDatabase(), source: Self.source, store: vault.store)
        }
        #expect(try vault.store.index.count() == 0)
        // The old table first: the second row of this one is audio it already brought (in another book), so
        // that row links, and its own file, which was never uploaded, is not needed.
        _ = try await Self.importer().run(database: try Self.legacyDatabase(), source: Self.source, store: vault.store)
        let summary = try await Self.importer(table: "book_audio_v0", columns: expected.columns)
            .run(database: try Self.legacyDatabase(), source: Self.source, store: vault.store)
        #expect(summary.rejected.isEmpty)
        #expect(summary.imported == expected.rows.filter { $0.outcome == "imported" }.count)
        #expect(summary.linked == expected.rows.filter { $0.outcome == "linked" }.count)
        for row in expected.rows {
            let record = try #require(try vault.store.record(for: try Self.digest(row.contentHash)))
            #expect(record.bookIds.contains(row.book))
        }
        let sechs = try #require(try vault.store.record(for: try Self.digest(expected.rows[0].contentHash)))
        #expect(sechs.createdAt == 1_703_437_200.25)
    }

    @Test func aDryRunWritesNothingAndSaysWhatARunWouldDo() async throws {
        let directory = TemporaryDirectory("vv-import")
        let dry = try await Self.importer(dryRun: true).run(database: try Self.legacyDatabase(), source: Self.source, store: nil)
        let vault = try OpenedVault(root: directory.sub("data"))
        let emptyBefore = try Self.snapshot(vault.store)
        let dryAgainstStore = try await Self.importer(dryRun: true).run(
            database: try Self.legacyDatabase(), source: Self.source, store: vault.store)
        #expect(try Self.snapshot(vault.store) == emptyBefore)
        let real = try await Self.importer().run(database: try Self.legacyDatabase(), source: Self.source, store: vault.store)
        for summary in [dry, dryAgainstStore] {
            #expect(summary.dryRun)
            #expect(summary.imported == real.imported)
            #expect(summary.linked == real.linked)
            #expect(summary.rejected == real.rejected)
            #expect(summary.bytesImported == real.bytesImported)
        }
        let dryAfter = try await Self.importer(dryRun: true).run(
            database: try Self.legacyDatabase(), source: Self.source, store: vault.store)
        #expect(dryAfter.imported == 0)
        #expect(dryAfter.alreadyPresent == real.imported + real.linked)
    }

    @Test func aFileLargerThanTheLimitIsReportedNotRead() async throws {
        let directory = TemporaryDirectory("vv-import")
        let vault = try OpenedVault(root: directory.sub("data"))
        let importer = LegacyImporter(options: .init(bucket: "book-audio", maximumFileBytes: 1000))
        let summary = try await importer.run(database: try Self.legacyDatabase(), source: Self.source, store: vault.store)
        #expect(summary.imported == 0)
        // Rows 1, 2 and 7, and row 3, which would have linked to row 1's audio.
        #expect(summary.rejected.filter { $0.code == "file_too_large" }.map(\.rowId) == [1, 2, 3, 7])
        #expect(try vault.store.index.count() == 0)
    }
}
