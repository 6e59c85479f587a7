import Logging
public import PostgresNIO
public import VaultCore
import NIOCore

/// The asset records of a cluster in PostgreSQL (`assets` and `asset_books`, migration 0003): the same
/// contract as the embedded index (`AssetCatalog`), each method one transaction. Changes to an asset take its
/// row's lock first (`SELECT ... FOR UPDATE`), so a link, an unlink and a removal of one hash happen one after
/// the other on every node, as the embedded store's hash locks make them within one process.
///
/// Every unlink and removal is announced on `changesChannel` in its own transaction (PostgreSQL delivers a
/// notification only if the transaction commits), so every node drops its local copy (`CatalogChange`).
public struct PostgresAssetCatalog: AssetCatalog {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        hash, voice_id, model_id, output_format, byte_size, blob_sha256, duration_seconds, word_count, character_count,
        created_at, upstream_request_id, character_cost, origin, upstream_history_item_id
        """

    public func record(for hash: SHA256Digest) async throws -> AssetRecord? {
        try await client.withConnection { try await Self.record(hash, on: $0, logger: logger) }
    }

    public func recordWithAlignment(for hash: SHA256Digest) async throws -> (record: AssetRecord, alignment: SpeechAlignment?)? {
        try await client.withTransaction(logger: logger) { connection in
            guard let record = try await Self.record(hash, on: connection, logger: logger) else { return nil }
            let rows = try await connection.query("SELECT alignment FROM assets WHERE hash = \(hash.hex)", logger: logger)
            for try await encoded in rows.decode(ByteBuffer?.self) {
                guard let encoded else { return (record, nil) }
                return (record, try SpeechAlignmentCodec.decode(Array(buffer: encoded)))
            }
            return (record, nil)
        }
    }

    public func publish(_ record: AssetRecord, alignment: SpeechAlignment?) async throws -> (record: AssetRecord, inserted: Bool) {
        try await publish(record, alignment: alignment, ensuringBlob: nil)
    }

    /// The channel every node listens on for unlinks and removals.
    public static let changesChannel = "voicevault_asset_changes"

    /// `publish`, with `ensuringBlob` run under the blob's lock just before the record is written: it makes
    /// sure the blob is still there, since the removal of another record naming the same bytes may have deleted
    /// it after it was stored (`deleteBlobIfUnreferenced` takes the same lock).
    public func publish(
        _ record: AssetRecord, alignment: SpeechAlignment?, ensuringBlob: (@Sendable () async throws -> Void)?
    ) async throws -> (record: AssetRecord, inserted: Bool) {
        guard let hash = SHA256Digest(hex: record.contentHash), !record.bookIds.isEmpty else {
            throw IndexError.corruptRecord(hash: record.contentHash, reason: "a published record needs a sha256 and a book")
        }
        let encoded = try alignment.map { ByteBuffer(bytes: try SpeechAlignmentCodec.encode($0)) }
        return try await client.withTransaction(logger: logger) { connection in
            if let ensuringBlob, let blob = SHA256Digest(hex: record.sha256) {
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.blobLockKey(blob)))", logger: logger)
                try await ensuringBlob()
            }
            let inserted =
                try await connection.query(
                    """
                    INSERT INTO assets (\(unescaped: Self.columns), alignment)
                    VALUES (\(record.contentHash), \(record.voiceId), \(record.modelId), \(record.outputFormat), \(record.byteSize),
                            \(record.sha256), \(record.durationSeconds), \(record.wordCount), \(record.characterCount),
                            \(record.createdAt), \(record.upstreamRequestId), \(record.characterCost), \(record.origin.rawValue),
                            \(record.upstreamHistoryItemId), \(encoded))
                    ON CONFLICT (hash) DO NOTHING
                    RETURNING hash
                    """, logger: logger
                ).collect().count == 1
            for book in record.bookIds {
                try await connection.query(
                    "INSERT INTO asset_books (book_id, hash) VALUES (\(book), \(record.contentHash)) ON CONFLICT DO NOTHING",
                    logger: logger)
            }
            guard let stored = try await Self.record(hash, on: connection, logger: logger) else {
                throw StoreError.notFound(hash: hash.hex)
            }
            return (stored, inserted)
        }
    }

    public func link(_ hash: SHA256Digest, to bookId: StorageIdentifier) async throws -> AssetRecord? {
        try await client.withTransaction(logger: logger) { connection in
            guard try await Self.lock(hash, on: connection, logger: logger) else { return nil }
            try await connection.query(
                "INSERT INTO asset_books (book_id, hash) VALUES (\(bookId.value), \(hash.hex)) ON CONFLICT DO NOTHING",
                logger: logger)
            return try await Self.record(hash, on: connection, logger: logger)
        }
    }

    public func unlink(_ hash: SHA256Digest, from bookId: StorageIdentifier) async throws -> AssetUnlinking? {
        try await client.withTransaction(logger: logger) { connection in
            guard try await Self.lock(hash, on: connection, logger: logger),
                let before = try await Self.record(hash, on: connection, logger: logger), before.bookIds.contains(bookId.value)
            else { return nil }
            let last = before.bookIds == [bookId.value]
            if last {
                try await connection.query("DELETE FROM assets WHERE hash = \(hash.hex)", logger: logger)
            } else {
                try await connection.query(
                    "DELETE FROM asset_books WHERE book_id = \(bookId.value) AND hash = \(hash.hex)", logger: logger)
            }
            try await Self.announce(.unlinked(hash, book: bookId.value), on: connection, logger: logger)
            return AssetUnlinking(before: before, recordRemoved: last)
        }
    }

    public func remove(_ hash: SHA256Digest) async throws -> AssetRecord? {
        try await client.withTransaction(logger: logger) { connection in
            guard try await Self.lock(hash, on: connection, logger: logger),
                let before = try await Self.record(hash, on: connection, logger: logger)
            else { return nil }
            try await connection.query("DELETE FROM assets WHERE hash = \(hash.hex)", logger: logger)
            try await Self.announce(.removed(hash), on: connection, logger: logger)
            return before
        }
    }

    public func hashes(forBook bookId: StorageIdentifier) async throws -> [SHA256Digest] {
        let rows = try await client.query(
            "SELECT hash FROM asset_books WHERE book_id = \(bookId.value) ORDER BY hash", logger: logger)
        var hashes: [SHA256Digest] = []
        for try await hex in rows.decode(String.self) { if let hash = SHA256Digest(hex: hex) { hashes.append(hash) } }
        return hashes
    }

    /// The books linking any asset, in bytewise order after `after`, at most `limit`.
    public func books(after: String?, limit: Int) async throws -> [String] {
        let rows = try await client.query(
            """
            SELECT DISTINCT book_id COLLATE "C" AS book FROM asset_books
            WHERE \(after)::text IS NULL OR book_id COLLATE "C" > \(after)
            ORDER BY book LIMIT \(limit)
            """, logger: logger)
        var books: [String] = []
        for try await book in rows.decode(String.self) { books.append(book) }
        return books
    }

    /// `books(after:limit:)` with each book's asset count and bytes (audio shared with another book counts in
    /// both, as the embedded index counts it).
    public func bookSummaries(after: String?, limit: Int) async throws -> [AssetIndex.BookSummary] {
        let rows = try await client.query(
            """
            SELECT b.book_id COLLATE "C" AS book, count(*), coalesce(sum(a.byte_size), 0)::bigint
            FROM asset_books b JOIN assets a ON a.hash = b.hash
            WHERE \(after)::text IS NULL OR b.book_id COLLATE "C" > \(after)
            GROUP BY book ORDER BY book LIMIT \(limit)
            """, logger: logger)
        var books: [AssetIndex.BookSummary] = []
        for try await (book, assets, bytes) in rows.decode((String, Int, Int).self) {
            books.append(AssetIndex.BookSummary(bookId: book, assets: assets, bytes: bytes))
        }
        return books
    }

    /// How many records name the blob `sha256`, assets, Storage objects, resumable and multipart upload parts
    /// alike (they share the blob store):
    /// a blob may be deleted only when none does.
    public func references(toBlob sha256: SHA256Digest) async throws -> Int {
        try await client.withConnection { try await Self.references(toBlob: sha256, on: $0, logger: logger) }
    }

    static func references(toBlob blob: SHA256Digest, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT (SELECT count(*) FROM assets WHERE blob_sha256 = \(blob.hex))
                 + (SELECT count(*) FROM storage_objects WHERE sha256 = \(blob.hex))
                 + (SELECT count(*) FROM storage_upload_parts WHERE sha256 = \(blob.hex))
                 + (SELECT count(*) FROM storage_multipart_parts WHERE sha256 = \(blob.hex))
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Runs `delete` under the blob's lock when no record names the blob any more: a blob goes only once its
    /// last record has gone, and never while a publication naming it is between its check and its record.
    /// True when `delete` ran.
    public func deleteBlobIfUnreferenced(_ blob: SHA256Digest, _ delete: @Sendable () async throws -> Void) async throws -> Bool {
        try await Self.deleteBlobIfUnreferenced(blob, client: client, logger: logger, delete)
    }

    /// The one way a blob is deleted, for assets and Storage objects alike (`PostgresObjectCatalog`).
    static func deleteBlobIfUnreferenced(
        _ blob: SHA256Digest, client: PostgresClient, logger: Logger, _ delete: @Sendable () async throws -> Void
    ) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.blobLockKey(blob)))", logger: logger)
            guard try await Self.references(toBlob: blob, on: connection, logger: logger) == 0 else { return false }
            try await delete()
            return true
        }
    }

    /// The books the catalog links for each of `hashes` that it has (absent: no record), for a node that
    /// checks its local copies against the catalog.
    public func books(of hashes: [SHA256Digest]) async throws -> [SHA256Digest: [String]] {
        guard !hashes.isEmpty else { return [:] }
        let rows = try await client.query(
            """
            SELECT a.hash, array(SELECT book_id FROM asset_books b WHERE b.hash = a.hash ORDER BY book_id COLLATE "C")
            FROM assets a WHERE a.hash = ANY(\(hashes.map(\.hex)))
            """, logger: logger)
        var found: [SHA256Digest: [String]] = [:]
        for try await (hex, books) in rows.decode((String, [String]).self) {
            if let hash = SHA256Digest(hex: hex) { found[hash] = books }
        }
        return found
    }

    /// Assets, their bytes (each asset once) and the books linking any.
    public func totals() async throws -> ClusterTotals {
        let rows = try await client.query(
            "SELECT count(*), coalesce(sum(byte_size), 0)::bigint, (SELECT count(DISTINCT book_id) FROM asset_books) FROM assets",
            logger: logger)
        for try await (assets, bytes, books) in rows.decode((Int, Int, Int).self) {
            return ClusterTotals(assets: assets, bytes: bytes, books: books)
        }
        return ClusterTotals(assets: 0, bytes: 0, books: 0)
    }

    /// Every record's blob and size, for `ClusterFsck`.
    public func blobReferences() async throws -> [(hash: SHA256Digest, blob: SHA256Digest, byteSize: Int)] {
        let rows = try await client.query("SELECT hash, blob_sha256, byte_size FROM assets ORDER BY hash", logger: logger)
        var references: [(hash: SHA256Digest, blob: SHA256Digest, byteSize: Int)] = []
        for try await (hash, blob, size) in rows.decode((String, String, Int).self) {
            guard let hash = SHA256Digest(hex: hash), let blob = SHA256Digest(hex: blob) else {
                throw IndexError.corruptRecord(hash: hash, reason: "the catalog's hash or blob is not a sha256")
            }
            references.append((hash, blob, size))
        }
        return references
    }

    static func announce(_ change: CatalogChange, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(changesChannel), \(change.payload))", logger: logger)
    }

    /// A blob's transaction lock: the single-key lock space, apart from the flights' two-key one.
    static func blobLockKey(_ blob: SHA256Digest) -> Int64 {
        blob.bytes.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    /// Takes the asset row's lock for the rest of the transaction; false when there is no such asset.
    static func lock(_ hash: SHA256Digest, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("SELECT 1 FROM assets WHERE hash = \(hash.hex) FOR UPDATE", logger: logger).collect().count == 1
    }

    static func record(_ hash: SHA256Digest, on connection: PostgresConnection, logger: Logger) async throws -> AssetRecord? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: columns),
                   array(SELECT book_id FROM asset_books b WHERE b.hash = a.hash ORDER BY book_id COLLATE "C")
            FROM assets a WHERE hash = \(hash.hex)
            """, logger: logger)
        for try await row in rows {
            let (
                hash, voice, model, format, size, sha256, duration, words, characters, created, requestId, cost, origin, historyItemId,
                books
            ) =
                try row.decode(
                    (String, String, String, String, Int, String, Double, Int, Int, Double, String?, Int?, String, String?, [String]).self)
            return AssetRecord(
                contentHash: hash, bookIds: books, voiceId: voice, modelId: model, outputFormat: format, byteSize: size,
                sha256: sha256, durationSeconds: duration, wordCount: words, characterCount: characters, createdAt: created,
                upstreamRequestId: requestId, characterCost: cost, origin: AssetOrigin(rawValue: origin) ?? .generated,
                upstreamHistoryItemId: historyItemId)
        }
        return nil
    }
}
