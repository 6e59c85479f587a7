import Logging
public import PostgresNIO
public import VaultCore

/// Supabase Storage's buckets and objects of a cluster in PostgreSQL (`storage_buckets`, `storage_objects`,
/// migration 7): the same contract as the embedded catalog (`ObjectCatalog`), each method one transaction.
///
/// A write to a key takes its row's lock (`FOR UPDATE`) and its bucket's (`FOR SHARE`, so a bucket is never
/// deleted under a write); a new key is inserted with `ON CONFLICT DO NOTHING`, so of two uploads racing to
/// create one key, exactly one does. Objects name their bytes as assets do, so a blob is deleted through the
/// one path that counts both (`PostgresAssetCatalog.deleteBlobIfUnreferenced`).
public struct PostgresObjectCatalog: SharedObjectCatalog {
    let client: PostgresClient
    let logger: Logger
    /// Rows read per round trip while paging a listing.
    let scanBatch: Int

    public init(client: PostgresClient, logger: Logger, scanBatch: Int = 500) {
        self.client = client
        self.logger = logger
        self.scanBatch = max(1, scanBatch)
    }

    /// One transaction; a refusal thrown inside it (which rolled it back) comes out as itself, so callers see
    /// the same errors as from the embedded catalog.
    func transaction<T: Sendable>(
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> T {
        do { return try await client.withTransaction(logger: logger, isolation: isolation, body) } catch let error
            as PostgresTransactionError
        {
            if let own = error.closureError, error.rollbackError == nil { throw own }
            throw error
        }
    }

    static func text<T: Encodable>(_ value: T) throws -> String { String(decoding: try StorageCatalog.encode(value), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try StorageCatalog.decode(type, Array(text.utf8)) }

    // MARK: Buckets

    public func bucket(_ name: String) async throws -> BucketRecord? {
        let rows = try await client.query("SELECT record FROM storage_buckets WHERE id = \(name)", logger: logger)
        for try await text in rows.decode(String.self) { return try Self.decode(BucketRecord.self, text) }
        return nil
    }

    public func allBuckets() async throws -> [BucketRecord] {
        let rows = try await client.query("SELECT record FROM storage_buckets ORDER BY id", logger: logger)
        var buckets: [BucketRecord] = []
        for try await text in rows.decode(String.self) { buckets.append(try Self.decode(BucketRecord.self, text)) }
        return buckets
    }

    public func createBucket(_ record: BucketRecord) async throws {
        guard try await ensureBucket(record) else { throw StorageCatalogError.bucketExists(record.id) }
    }

    @discardableResult
    public func ensureBucket(_ record: BucketRecord) async throws -> Bool {
        let text = try Self.text(record)
        return try await client.query(
            "INSERT INTO storage_buckets (id, record) VALUES (\(record.id), \(text)) ON CONFLICT DO NOTHING RETURNING id",
            logger: logger
        ).collect().count == 1
    }

    public func updateBucket(_ name: String, _ change: @escaping @Sendable (inout BucketRecord) -> Void) async throws -> BucketRecord {
        try await transaction { connection in
            let rows = try await connection.query("SELECT record FROM storage_buckets WHERE id = \(name) FOR UPDATE", logger: logger)
            var found: BucketRecord?
            for try await text in rows.decode(String.self) { found = try Self.decode(BucketRecord.self, text) }
            guard var record = found else { throw StorageCatalogError.bucketNotFound(name) }
            change(&record)
            let text = try Self.text(record)
            try await connection.query("UPDATE storage_buckets SET record = \(text) WHERE id = \(name)", logger: logger)
            return record
        }
    }

    public func deleteBucket(_ name: String) async throws {
        try await transaction { connection in
            guard try await Self.lockBucket(name, mode: "UPDATE", on: connection, logger: logger) else {
                throw StorageCatalogError.bucketNotFound(name)
            }
            let held = try await connection.query(
                "SELECT 1 FROM storage_objects WHERE bucket = \(name) LIMIT 1", logger: logger
            ).collect().count
            guard held == 0 else { throw StorageCatalogError.bucketNotEmpty(name) }
            try await connection.query("DELETE FROM storage_buckets WHERE id = \(name)", logger: logger)
        }
    }

    /// Locks the bucket's row (`SHARE` for a write into it, `UPDATE` to delete it); false when there is none.
    static func lockBucket(_ name: String, mode: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query(
            "SELECT 1 FROM storage_buckets WHERE id = \(name) FOR \(unescaped: mode)", logger: logger
        ).collect().count == 1
    }

    // MARK: Objects

    public func object(bucket: String, key: String) async throws -> ObjectRecord? {
        let rows = try await client.query(
            "SELECT record FROM storage_objects WHERE bucket = \(bucket) AND key = \(key)", logger: logger)
        for try await text in rows.decode(String.self) { return try Self.decode(ObjectRecord.self, text) }
        return nil
    }

    public func keyPage(bucket: String, _ request: KeyPageRequest) async throws -> KeyPage {
        var builder = KeyPageBuilder(request)
        try await scan(bucket: bucket, from: builder.start) { key, record in
            try builder.offer(key, record: { try Self.decode(ObjectRecord.self, record) })
        }
        return builder.page
    }

    public func folderContents(bucket: String, folder: String) async throws -> (folders: [String], objects: [ObjectRecord]) {
        let page = try await keyPage(bucket: bucket, KeyPageRequest(prefix: folder, delimited: true, limit: .max))
        var folders: [String] = []
        var objects: [ObjectRecord] = []
        for entry in page.entries {
            switch entry {
            case let .folder(path): folders.append(String(path.dropFirst(folder.count).dropLast()))
            case let .object(record): objects.append(record)
            }
        }
        return (folders, objects)
    }

    /// Offers `bucket`'s keys from `start` on, in bytewise order, a batch per round trip, to `offer`, which says
    /// whether to go on, seek past a folder's run (a new query from there), or stop.
    func scan(bucket: String, from start: String, _ offer: (String, String) throws -> KeyPageBuilder.Next) async throws {
        var from = start
        var inclusive = true
        while true {
            let rows = try await client.query(
                """
                SELECT key, record FROM storage_objects
                WHERE bucket = \(bucket) AND (key > \(from) COLLATE "C" OR (\(inclusive) AND key = \(from)))
                ORDER BY key LIMIT \(scanBatch)
                """, logger: logger)
            var count = 0
            var last: String?
            var seekTo: String?
            for try await (key, record) in rows.decode((String, String).self) {
                count += 1
                last = key
                if let target = seekTo, KeyPageBuilder.precedes(key, target) { continue }
                seekTo = nil
                switch try offer(key, record) {
                case .proceed: continue
                case let .seek(to: target): seekTo = target
                case .stop: return
                }
            }
            if let target = seekTo {
                (from, inclusive) = (target, true)
            } else if count == scanBatch, let last {
                (from, inclusive) = (last, false)
            } else {
                return
            }
        }
    }
}

extension PostgresObjectCatalog {
    public func put(_ record: ObjectRecord, replacing: Bool) async throws -> ObjectRecord? {
        try await put(record, replacing: replacing, ensuringBlob: nil)
    }

    public func put(_ record: ObjectRecord, replacing: Bool, ensuringBlob: @escaping @Sendable () async throws -> Void) async throws
        -> ObjectRecord?
    {
        try await put(record, replacing: replacing, ensuringBlob: .some(ensuringBlob))
    }

    /// A new key is inserted only if still absent; when a racing upload created it between this one's look
    /// and its insert, a replacing write looks again (and replaces that one), a creating write is refused.
    func put(_ record: ObjectRecord, replacing: Bool, ensuringBlob: (@Sendable () async throws -> Void)?) async throws -> ObjectRecord? {
        for _ in 0..<3 {
            let outcome: PutOutcome = try await transaction { connection in
                guard try await Self.lockBucket(record.bucket, mode: "SHARE", on: connection, logger: logger) else {
                    throw StorageCatalogError.bucketNotFound(record.bucket)
                }
                if let ensuringBlob, let blob = SHA256Digest(hex: record.sha256) {
                    try await connection.query(
                        "SELECT pg_advisory_xact_lock(\(PostgresAssetCatalog.blobLockKey(blob)))", logger: logger)
                    try await ensuringBlob()
                }
                let rows = try await connection.query(
                    "SELECT record FROM storage_objects WHERE bucket = \(record.bucket) AND key = \(record.key) FOR UPDATE",
                    logger: logger)
                var previous: ObjectRecord?
                for try await text in rows.decode(String.self) { previous = try Self.decode(ObjectRecord.self, text) }
                if let previous {
                    guard replacing else { throw StorageCatalogError.objectExists(bucket: record.bucket, key: record.key) }
                    var stored = record  // an overwrite keeps the object's identity and creation time
                    stored.id = previous.id
                    stored.createdAt = previous.createdAt
                    let text = try Self.text(stored)
                    try await connection.query(
                        """
                        UPDATE storage_objects SET sha256 = \(stored.sha256), record = \(text)
                        WHERE bucket = \(record.bucket) AND key = \(record.key)
                        """, logger: logger)
                    return .replaced(previous)
                }
                let text = try Self.text(record)
                let inserted =
                    try await connection.query(
                        """
                        INSERT INTO storage_objects (bucket, key, sha256, record)
                        VALUES (\(record.bucket), \(record.key), \(record.sha256), \(text))
                        ON CONFLICT DO NOTHING RETURNING key
                        """, logger: logger
                    ).collect().count == 1
                return inserted ? .inserted : .raced
            }
            switch outcome {
            case .inserted: return nil
            case let .replaced(previous): return previous
            case .raced: guard replacing else { throw StorageCatalogError.objectExists(bucket: record.bucket, key: record.key) }
            }
        }
        throw StorageCatalogError.objectExists(bucket: record.bucket, key: record.key)
    }

    enum PutOutcome: Sendable {
        case inserted
        case replaced(ObjectRecord)
        /// Another write created the key between this one's look and its insert.
        case raced
    }

    public func remove(bucket: String, keys: [String], ifVersion version: String?) async throws -> [ObjectRecord] {
        guard !keys.isEmpty else { return [] }
        let rows = try await client.query(
            """
            DELETE FROM storage_objects
            WHERE bucket = \(bucket) AND key = ANY(\(keys)) AND (\(version)::text IS NULL OR record::json->>'version' = \(version))
            RETURNING record
            """, logger: logger)
        var removed: [ObjectRecord] = []
        for try await text in rows.decode(String.self) { removed.append(try Self.decode(ObjectRecord.self, text)) }
        return removed
    }

    public func move(bucket: String, from source: String, to destination: String, now: Double) async throws -> ObjectRecord {
        try await transaction { connection in
            let rows = try await connection.query(
                "DELETE FROM storage_objects WHERE bucket = \(bucket) AND key = \(source) RETURNING record", logger: logger)
            var found: ObjectRecord?
            for try await text in rows.decode(String.self) { found = try Self.decode(ObjectRecord.self, text) }
            guard var record = found else { throw StorageCatalogError.objectNotFound(bucket: bucket, key: source) }
            record.key = destination
            record.updatedAt = now
            let text = try Self.text(record)
            let inserted =
                try await connection.query(
                    """
                    INSERT INTO storage_objects (bucket, key, sha256, record) VALUES (\(bucket), \(destination), \(record.sha256), \(text))
                    ON CONFLICT DO NOTHING RETURNING key
                    """, logger: logger
                ).collect().count == 1
            // Thrown, so the transaction rolls back and the source stays.
            guard inserted else { throw StorageCatalogError.objectExists(bucket: bucket, key: destination) }
            return record
        }
    }

    public func deleteBlobIfUnreferenced(_ blob: SHA256Digest, _ delete: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        try await PostgresAssetCatalog.deleteBlobIfUnreferenced(blob, client: client, logger: logger, delete)
    }

    /// Every object's blob and size, and every resumable upload's parts, for `ClusterFsck`: a blob either names
    /// is never one "without a record".
    public func blobReferences() async throws -> [(object: String, blob: SHA256Digest, size: Int)] {
        let rows = try await client.query("SELECT bucket, key, record FROM storage_objects ORDER BY bucket, key", logger: logger)
        var references: [(object: String, blob: SHA256Digest, size: Int)] = []
        for try await (bucket, key, text) in rows.decode((String, String, String).self) {
            let record = try Self.decode(ObjectRecord.self, text)
            guard let blob = SHA256Digest(hex: record.sha256) else {
                throw StorageCatalogError.undecodableRecord("object \(bucket)/\(key) names no sha256")
            }
            references.append((bucket + "/" + key, blob, record.size))
        }
        let parts = try await client.query(
            "SELECT id, upload_offset, size, sha256 FROM storage_upload_parts ORDER BY id, upload_offset", logger: logger)
        for try await (id, offset, size, hex) in parts.decode((String, Int, Int, String).self) {
            guard let blob = SHA256Digest(hex: hex) else {
                throw StorageCatalogError.undecodableRecord("upload \(id)'s part at \(offset) names no sha256")
            }
            references.append(("upload \(id) at \(offset)", blob, size))
        }
        let multipart = try await client.query(
            "SELECT id, number, size, sha256 FROM storage_multipart_parts ORDER BY id, number", logger: logger)
        for try await (id, number, size, hex) in multipart.decode((String, Int, Int, String).self) {
            guard let blob = SHA256Digest(hex: hex) else {
                throw StorageCatalogError.undecodableRecord("multipart upload \(id)'s part \(number) names no sha256")
            }
            references.append(("multipart upload \(id) part \(number)", blob, size))
        }
        return references
    }
}
