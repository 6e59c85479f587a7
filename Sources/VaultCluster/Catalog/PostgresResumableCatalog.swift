import Logging
public import PostgresNIO
public import VaultCore

/// A cluster's TUS uploads in PostgreSQL (`storage_uploads`, `storage_upload_parts`, migration 8): each
/// method one transaction, called within the catalog's deadline with failures named as a node answers them
/// (`CatalogCall`). A part is recorded under the upload's row lock and only at the offset it was staged from,
/// so two nodes writing one upload never interleave bytes.
public struct PostgresResumableCatalog: ResumableUploadCatalog {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The single-key advisory lock that makes counting uploads and adding one a single step.
    static let creationLockKey: Int64 = 0x766F_6963_6574_7573  // "voicetus"

    func call<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await CatalogCall.run(
            logger: logger,
            keeping: {
                $0 is ResumableUploadError || $0 is TusHeaders.Failure || $0 is BlobStoreError || $0 is ClusterObjectStoreError
                    || $0 is StorageCatalogError
            }, body)
    }

    static func text(_ upload: ResumableUpload) throws -> String {
        String(decoding: try StorageCatalog.encode(upload), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> ResumableUpload { try StorageCatalog.decode(ResumableUpload.self, Array(text.utf8)) }

    public func createUpload(_ upload: ResumableUpload, maximumInProgress: Int) async throws {
        let (client, logger) = (client, logger)
        try await call {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.creationLockKey))", logger: logger)
                var count = 0
                for try await held in try await connection.query("SELECT count(*) FROM storage_uploads", logger: logger).decode(Int.self) {
                    count = held
                }
                guard count < maximumInProgress else { throw ResumableUploadError.tooManyUploads(maximumInProgress) }
                let text = try Self.text(upload)
                try await connection.query(
                    "INSERT INTO storage_uploads (id, upload, expires_at) VALUES (\(upload.id), \(text), \(upload.expiresAt))",
                    logger: logger)
            }
        }
    }

    public func upload(_ id: String) async throws -> ResumableUpload? {
        let (client, logger) = (client, logger)
        return try await call {
            let rows = try await client.query("SELECT upload FROM storage_uploads WHERE id = \(id)", logger: logger)
            for try await text in rows.decode(String.self) { return try Self.decode(text) }
            return nil
        }
    }

    public func updateUpload(_ upload: ResumableUpload) async throws -> ResumableUpload? {
        let (client, logger) = (client, logger)
        return try await call {
            try await client.withTransaction(logger: logger) { connection in
                guard var stored = try await Self.locked(upload.id, on: connection, logger: logger) else { return nil }
                stored.length = upload.length
                stored.commitVersion = upload.commitVersion
                let text = try Self.text(stored)
                try await connection.query("UPDATE storage_uploads SET upload = \(text) WHERE id = \(upload.id)", logger: logger)
                return stored
            }
        }
    }

    public func addPart(_ part: ResumablePart, to id: String, ensuringBlob: @escaping @Sendable () async throws -> Void) async throws
        -> ResumableUpload
    {
        let (client, logger) = (client, logger)
        return try await call {
            try await client.withTransaction(logger: logger) { connection in
                guard var upload = try await Self.locked(id, on: connection, logger: logger) else {
                    throw ResumableUploadError.unreadableManifest(id)
                }
                guard upload.offset == part.offset else {
                    throw TusHeaders.Failure(
                        status: 409, code: "InvalidRequest",
                        message:
                            "the upload's offset moved to \(upload.offset) while this PATCH was sent from \(part.offset); ask with HEAD")
                }
                if let length = upload.length, part.offset + part.size > length {
                    throw TusHeaders.Failure(
                        status: 413, code: "EntityTooLarge", message: "the PATCH carries bytes beyond Upload-Length \(length)")
                }
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(PostgresAssetCatalog.blobLockKey(part.sha256)))", logger: logger)
                try await ensuringBlob()
                try await connection.query(
                    """
                    INSERT INTO storage_upload_parts (id, upload_offset, size, sha256)
                    VALUES (\(id), \(part.offset), \(part.size), \(part.sha256.hex))
                    """, logger: logger)
                upload.offset += part.size
                let text = try Self.text(upload)
                try await connection.query("UPDATE storage_uploads SET upload = \(text) WHERE id = \(id)", logger: logger)
                return upload
            }
        }
    }

    public func parts(of id: String) async throws -> [ResumablePart] {
        let (client, logger) = (client, logger)
        return try await call {
            let rows = try await client.query(
                "SELECT upload_offset, size, sha256 FROM storage_upload_parts WHERE id = \(id) ORDER BY upload_offset", logger: logger)
            var parts: [ResumablePart] = []
            for try await (offset, size, hex) in rows.decode((Int, Int, String).self) {
                guard let digest = SHA256Digest(hex: hex) else { throw ResumableUploadError.unreadableManifest(id) }
                parts.append(ResumablePart(offset: offset, size: size, sha256: digest))
            }
            return parts
        }
    }

    public func removeUpload(_ id: String) async throws -> [SHA256Digest] {
        let (client, logger) = (client, logger)
        return try await call {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "DELETE FROM storage_upload_parts WHERE id = \(id) RETURNING sha256", logger: logger)
                var blobs: [SHA256Digest] = []
                for try await hex in rows.decode(String.self) { if let digest = SHA256Digest(hex: hex) { blobs.append(digest) } }
                try await connection.query("DELETE FROM storage_uploads WHERE id = \(id)", logger: logger)
                return blobs
            }
        }
    }

    public func expiredUploads(now: Double) async throws -> [String] {
        let (client, logger) = (client, logger)
        return try await call {
            let rows = try await client.query(
                "SELECT id, upload FROM storage_uploads WHERE expires_at <= \(now) ORDER BY id LIMIT 1000", logger: logger)
            var expired: [String] = []
            for try await (id, text) in rows.decode((String, String).self) where (try? Self.decode(text))?.commitVersion == nil {
                expired.append(id)
            }
            return expired
        }
    }

    public func uploadsToFinish() async throws -> [ResumableUpload] {
        let (client, logger) = (client, logger)
        return try await call {
            let rows = try await client.query("SELECT upload FROM storage_uploads ORDER BY id", logger: logger)
            var unfinished: [ResumableUpload] = []
            for try await text in rows.decode(String.self) {
                guard let upload = try? Self.decode(text), upload.commitVersion != nil || upload.isComplete else { continue }
                unfinished.append(upload)
            }
            return unfinished
        }
    }

    /// The upload's record with its row locked for the rest of the transaction; nil when there is none.
    static func locked(_ id: String, on connection: PostgresConnection, logger: Logger) async throws -> ResumableUpload? {
        let rows = try await connection.query("SELECT upload FROM storage_uploads WHERE id = \(id) FOR UPDATE", logger: logger)
        for try await text in rows.decode(String.self) { return try decode(text) }
        return nil
    }
}
