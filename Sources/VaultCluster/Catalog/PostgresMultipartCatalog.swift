import Logging
public import PostgresNIO
public import VaultCore

/// A cluster's S3 multipart uploads in PostgreSQL (`storage_multipart_uploads`, `storage_multipart_parts`,
/// migration 9): each method one transaction, called within the catalog's deadline with failures named as a
/// node answers them (`CatalogCall`). A part is recorded under the upload's row lock, so no part lands in an
/// upload once its completion is planned or after it was aborted.
public struct PostgresMultipartCatalog: MultipartUploadCatalog {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The single-key advisory lock that makes counting uploads and adding one a single step.
    static let creationLockKey: Int64 = 0x766F_6963_6573_3370  // "voices3p"

    func call<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await CatalogCall.run(
            logger: logger,
            keeping: { $0 is ResumableUploadError || $0 is S3Error || $0 is BlobStoreError || $0 is StorageCatalogError }, body)
    }

    static func text(_ upload: MultipartUpload) throws -> String { String(decoding: try StorageCatalog.encode(upload), as: UTF8.self) }
    static func decode(_ text: String) throws -> MultipartUpload { try StorageCatalog.decode(MultipartUpload.self, Array(text.utf8)) }

    public func createMultipart(_ upload: MultipartUpload, maximumInProgress: Int) async throws {
        let (client, logger) = (client, logger)
        try await call {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.creationLockKey))", logger: logger)
                var count = 0
                for try await held in try await connection.query("SELECT count(*) FROM storage_multipart_uploads", logger: logger)
                    .decode(Int.self)
                {
                    count = held
                }
                guard count < maximumInProgress else { throw ResumableUploadError.tooManyUploads(maximumInProgress) }
                let text = try Self.text(upload)
                try await connection.query(
                    """
                    INSERT INTO storage_multipart_uploads (id, bucket, upload, created_at)
                    VALUES (\(upload.id), \(upload.bucket), \(text), \(upload.createdAt))
                    """, logger: logger)
            }
        }
    }

    public func multipart(_ id: String) async throws -> MultipartUpload? {
        let (client, logger) = (client, logger)
        return try await call {
            let rows = try await client.query("SELECT upload FROM storage_multipart_uploads WHERE id = \(id)", logger: logger)
            for try await text in rows.decode(String.self) { return try Self.decode(text) }
            return nil
        }
    }

    public func multiparts(inBucket bucket: String) async throws -> [MultipartUpload] {
        let (client, logger) = (client, logger)
        return try await call {
            let rows = try await client.query(
                "SELECT upload FROM storage_multipart_uploads WHERE bucket = \(bucket) ORDER BY id LIMIT 10000", logger: logger)
            var uploads: [MultipartUpload] = []
            for try await text in rows.decode(String.self) {
                let upload = try Self.decode(text)
                if upload.completion == nil { uploads.append(upload) }
            }
            return uploads
        }
    }

    public func putMultipartPart(_ part: MultipartPart, of id: String, ensuringBlob: @escaping @Sendable () async throws -> Void)
        async throws -> SHA256Digest?
    {
        let (client, logger) = (client, logger)
        return try await call {
            try await client.withTransaction(logger: logger) { connection in
                guard let upload = try await Self.locked(id, on: connection, logger: logger), upload.completion == nil else {
                    throw S3Error.noSuchUpload
                }
                guard let blob = SHA256Digest(hex: part.sha256) else { throw S3Error(400, "InvalidPart", "a part needs a SHA-256") }
                try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresAssetCatalog.blobLockKey(blob)))", logger: logger)
                try await ensuringBlob()
                let replaced = try await connection.query(
                    "SELECT sha256 FROM storage_multipart_parts WHERE id = \(id) AND number = \(part.number) FOR UPDATE", logger: logger)
                var previous: SHA256Digest?
                for try await hex in replaced.decode(String.self) { previous = SHA256Digest(hex: hex) }
                try await connection.query(
                    """
                    INSERT INTO storage_multipart_parts (id, number, sha256, size, modified_at)
                    VALUES (\(id), \(part.number), \(part.sha256), \(part.size), \(part.modifiedAt))
                    ON CONFLICT (id, number) DO UPDATE SET sha256 = EXCLUDED.sha256, size = EXCLUDED.size, modified_at = EXCLUDED.modified_at
                    """, logger: logger)
                return previous
            }
        }
    }

    public func multipartParts(of id: String) async throws -> [MultipartPart] {
        let (client, logger) = (client, logger)
        return try await call {
            let rows = try await client.query(
                "SELECT number, sha256, size, modified_at FROM storage_multipart_parts WHERE id = \(id) ORDER BY number", logger: logger)
            var parts: [MultipartPart] = []
            for try await (number, sha256, size, modified) in rows.decode((Int, String, Int, Double).self) {
                parts.append(MultipartPart(number: number, sha256: sha256, size: size, modifiedAt: modified))
            }
            return parts
        }
    }

    public func planCompletion(_ completion: MultipartUpload.Completion, of id: String) async throws -> MultipartUpload? {
        let (client, logger) = (client, logger)
        return try await call {
            try await client.withTransaction(logger: logger) { connection in
                guard var upload = try await Self.locked(id, on: connection, logger: logger) else { return nil }
                guard upload.completion == nil else { return upload }
                upload.completion = completion
                let text = try Self.text(upload)
                try await connection.query("UPDATE storage_multipart_uploads SET upload = \(text) WHERE id = \(id)", logger: logger)
                return upload
            }
        }
    }

    public func removeMultipart(_ id: String) async throws -> [SHA256Digest] {
        let (client, logger) = (client, logger)
        return try await call {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "DELETE FROM storage_multipart_parts WHERE id = \(id) RETURNING sha256", logger: logger)
                var blobs: [SHA256Digest] = []
                for try await hex in rows.decode(String.self) { if let digest = SHA256Digest(hex: hex) { blobs.append(digest) } }
                try await connection.query("DELETE FROM storage_multipart_uploads WHERE id = \(id)", logger: logger)
                return blobs
            }
        }
    }

    public func abandonedMultiparts(createdBefore cutoff: Double) async throws -> [String] {
        let (client, logger) = (client, logger)
        return try await call {
            let rows = try await client.query(
                "SELECT id, upload FROM storage_multipart_uploads WHERE created_at < \(cutoff) ORDER BY id LIMIT 1000", logger: logger)
            var abandoned: [String] = []
            for try await (id, text) in rows.decode((String, String).self) where (try? Self.decode(text))?.completion == nil {
                abandoned.append(id)
            }
            return abandoned
        }
    }

    public func multipartsToFinish() async throws -> [MultipartUpload] {
        let (client, logger) = (client, logger)
        return try await call {
            let rows = try await client.query("SELECT upload FROM storage_multipart_uploads ORDER BY id", logger: logger)
            var planned: [MultipartUpload] = []
            for try await text in rows.decode(String.self) {
                if let upload = try? Self.decode(text), upload.completion != nil { planned.append(upload) }
            }
            return planned
        }
    }

    static func locked(_ id: String, on connection: PostgresConnection, logger: Logger) async throws -> MultipartUpload? {
        let rows = try await connection.query(
            "SELECT upload FROM storage_multipart_uploads WHERE id = \(id) FOR UPDATE", logger: logger)
        for try await text in rows.decode(String.self) { return try decode(text) }
        return nil
    }
}
