import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// The asset catalog, embedded (LMDB) and in PostgreSQL, held to one contract: the seam's promise that nothing
/// above it can tell which it has.
@Suite struct AssetCatalogTests {
    static let logger = Logger(label: "asset-catalog-test")

    static func record(_ seed: String, books: [String], voice: String = "voice1", origin: AssetOrigin = .generated) -> AssetRecord {
        AssetRecord(
            contentHash: SHA256Digest.test(seed).hex, bookIds: books, voiceId: voice, modelId: "eleven_multilingual_v2",
            outputFormat: "mp3_44100_128", byteSize: 4_181, sha256: SHA256Digest.test("bytes of " + seed).hex,
            durationSeconds: 2.612, wordCount: 3, characterCount: 17, createdAt: 1_796_000_000.25,
            upstreamRequestId: origin == .generated ? "req-\(seed)" : nil, characterCost: origin == .generated ? 17 : nil,
            origin: origin, upstreamHistoryItemId: origin == .generated ? "hist-\(seed)" : nil)
    }

    static let timings = SpeechAlignment(characters: [
        .init(text: "H", startMilliseconds: 0, endMilliseconds: 90), .init(text: "é", startMilliseconds: 90, endMilliseconds: 180),
    ])

    /// What every `AssetCatalog` must do.
    static func holdsTheContract(_ catalog: any AssetCatalog) async throws {
        let hash = SHA256Digest.test("one")
        let (a, b, c) = (StorageIdentifier.book("book-a"), StorageIdentifier.book("book-b"), StorageIdentifier.book("book-c"))
        // Nothing there: every question answers nothing, every change changes nothing.
        #expect(try await catalog.record(for: hash) == nil)
        #expect(try await catalog.recordWithAlignment(for: hash) == nil)
        #expect(try await catalog.link(hash, to: a) == nil)
        #expect(try await catalog.unlink(hash, from: a) == nil)
        #expect(try await catalog.remove(hash) == nil)
        #expect(try await catalog.hashes(forBook: a) == [])

        // The first publication makes the record, every field as given, with its timings.
        let first = record("one", books: ["book-a"])
        let published = try await catalog.publish(first, alignment: timings)
        #expect(published.inserted && published.record == first)
        let withTimings = try await catalog.recordWithAlignment(for: hash)
        #expect(withTimings?.record == first && withTimings?.alignment == timings)

        // A later one only adds its book: first writer wins, fields and timings alike.
        let second = try await catalog.publish(record("one", books: ["book-b"], voice: "someone else"), alignment: nil)
        #expect(!second.inserted)
        var expected = first
        expected.bookIds = ["book-a", "book-b"]
        #expect(second.record == expected)
        #expect(try await catalog.recordWithAlignment(for: hash)?.alignment == timings)

        // Links are idempotent; books list their hashes in hash order.
        expected.bookIds = ["book-a", "book-b", "book-c"]
        #expect(try await catalog.link(hash, to: c) == expected)
        #expect(try await catalog.link(hash, to: c) == expected)
        let imported = record("two", books: ["book-a"], origin: .imported)
        #expect(try await catalog.publish(imported, alignment: nil).record == imported)
        #expect(try await catalog.recordWithAlignment(for: SHA256Digest.test("two"))?.alignment == nil)
        #expect(try await catalog.hashes(forBook: a) == [hash, SHA256Digest.test("two")].sorted { $0.hex < $1.hex })

        // Unlinking one book leaves the others; unlinking it again is nothing.
        let unlinked = try await catalog.unlink(hash, from: b)
        #expect(unlinked == AssetUnlinking(before: expected, recordRemoved: false))
        #expect(try await catalog.unlink(hash, from: b) == nil)
        #expect(try await catalog.record(for: hash)?.bookIds == ["book-a", "book-c"])
        #expect(try await catalog.hashes(forBook: b) == [])

        // The last book takes the record with it.
        #expect(try await catalog.unlink(SHA256Digest.test("two"), from: a)?.recordRemoved == true)
        #expect(try await catalog.record(for: SHA256Digest.test("two")) == nil)

        // Removal takes every link.
        #expect(try await catalog.remove(hash)?.bookIds == ["book-a", "book-c"])
        #expect(try await catalog.record(for: hash) == nil)
        #expect(try await catalog.hashes(forBook: a) == [])
        #expect(try await catalog.hashes(forBook: c) == [])

        // Twenty publications of one hash at once, each into its own book: one makes it, all are linked.
        let racing = SHA256Digest.test("racing")
        let inserted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for book in 0..<20 {
                group.addTask { try await catalog.publish(record("racing", books: ["book-\(book)"]), alignment: nil).inserted }
            }
            var count = 0
            for try await made in group where made { count += 1 }
            return count
        }
        #expect(inserted == 1)
        #expect(try await catalog.record(for: racing)?.bookIds == (0..<20).map { "book-\($0)" }.sorted())
        try await holdsTheAliasContract(catalog)
        try await holdsTheBookLinkContract(catalog)
    }

    /// What books say about their audio: recorded on a link only, replaced when it differs, gone with the link.
    static func holdsTheBookLinkContract(_ catalog: any AssetCatalog) async throws {
        let book = StorageIdentifier.book("linked-book")
        let hash = SHA256Digest.test("linked")
        let details = BookLink(chapterId: "ch-2", chapterIndex: 4, chapterTitle: "Deux — two")
        #expect(try await catalog.describe(hash, in: book, as: details) == false, "no link, nothing recorded")
        _ = try await catalog.publish(record("linked", books: ["linked-book", "other-book"]), alignment: timings)
        #expect(try await catalog.bookEntries(book).map(\.link) == [BookLink()])
        #expect(try await catalog.describe(hash, in: book, as: details))
        #expect(try await catalog.describe(hash, in: book, as: details) == false, "already says so")
        let entries = try await catalog.bookEntries(book)
        #expect(entries.map(\.link) == [details] && entries.map(\.hasAlignment) == [true])
        #expect(entries.first?.record.contentHash == hash.hex)
        #expect(try await catalog.bookEntries(.book("other-book")).map(\.link) == [BookLink()], "another book's link says nothing")
        #expect(try await catalog.describe(hash, in: book, as: BookLink(chapterId: "ch-2")))
        #expect(try await catalog.bookEntries(book).map(\.link) == [BookLink(chapterId: "ch-2")])
        _ = try await catalog.unlink(hash, from: book)
        #expect(try await catalog.bookEntries(book).isEmpty)
        _ = try await catalog.link(hash, to: book)
        #expect(try await catalog.bookEntries(book).map(\.link) == [BookLink()], "a new link starts with nothing")
    }

    /// Legacy aliases: added where absent, never overwritten, outliving their assets, paged in bytewise order.
    static func holdsTheAliasContract(_ catalog: any AssetCatalog) async throws {
        let legacy = (0..<7).map { SHA256Digest.test("legacy row \($0)") }
        #expect(try await catalog.aliasTarget(legacy[0]) == nil)
        #expect(try await catalog.aliases(after: nil, limit: 10) == [])
        #expect(try await catalog.addAliases([]) == 0)
        let aliases = legacy.map { LegacyAlias(legacyKey: $0, contentHash: SHA256Digest.test("no such asset")) }
        #expect(try await catalog.addAliases(aliases) == 7)
        #expect(try await catalog.aliasTarget(legacy[3]) == SHA256Digest.test("no such asset"))
        // One already there is kept as it is, whatever the new one names.
        let other = LegacyAlias(legacyKey: legacy[3], contentHash: SHA256Digest.test("another"))
        #expect(
            try await catalog.addAliases([other, LegacyAlias(legacyKey: SHA256Digest.test("new"), contentHash: other.contentHash)]) == 1)
        #expect(try await catalog.aliasTarget(legacy[3]) == SHA256Digest.test("no such asset"))
        // Pages of three in bytewise key order, each after the last, make the whole set once.
        var seen: [LegacyAlias] = []
        var after: SHA256Digest?
        while true {
            let page = try await catalog.aliases(after: after, limit: 3)
            #expect(page.count <= 3)
            guard let last = page.last else { break }
            seen += page
            after = last.legacyKey
        }
        let keys = (legacy + [SHA256Digest.test("new")]).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        #expect(seen.map(\.legacyKey) == keys)
    }

    @Test func theEmbeddedCatalogHoldsTheContract() async throws {
        let directory = TemporaryDirectory("vv-catalog")
        try await Self.holdsTheContract(EmbeddedAssetCatalog(index: try AssetIndex(directory: directory.path)))
    }

    @Test func thePostgreSQLCatalogHoldsTheContract() async throws {
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            try await Self.holdsTheContract(PostgresAssetCatalog(client: client, logger: Self.logger))
        }
    }

    /// Identical bytes under two hashes share one blob, and the catalog counts who names it.
    @Test func recordsNamingABlobAreCounted() async throws {
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            let catalog = PostgresAssetCatalog(client: client, logger: Self.logger)
            var one = Self.record("x", books: ["b"])
            var other = Self.record("y", books: ["b"])
            let blob = SHA256Digest.test("shared bytes")
            one.sha256 = blob.hex
            other.sha256 = blob.hex
            _ = try await catalog.publish(one, alignment: nil)
            _ = try await catalog.publish(other, alignment: nil)
            #expect(try await catalog.references(toBlob: blob) == 2)
            _ = try await catalog.remove(SHA256Digest.test("x"))
            #expect(try await catalog.references(toBlob: blob) == 1)
            // A blob goes only when no record names it.
            let deletions = Tally()
            #expect(try await catalog.deleteBlobIfUnreferenced(blob) { deletions.add() } == false)
            _ = try await catalog.remove(SHA256Digest.test("y"))
            #expect(try await catalog.deleteBlobIfUnreferenced(blob) { deletions.add() } == true)
            #expect(deletions.value == 1)
        }
    }
}
