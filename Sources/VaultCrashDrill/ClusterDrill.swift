import AsyncHTTPClient
import Foundation
import Logging
import PostgresNIO
import VaultCluster
import VaultCore

/// `vault-crash-drill --data-dir D --cluster yes [--kill-at STEP --kill-on K] [--count N]`: one cluster node
/// (its data directory, the catalog and blob store named by `VOICEVAULT_CATALOG_URL` and `VOICEVAULT_BLOB_URL`)
/// generating, linking, removing and evicting (the cluster's quota) through `VoiceService` as a server does, and
/// uploading, replacing and removing Storage objects through `ClusterObjectStore`, killed at a `ClusterStep` or at a
/// step of its local store. It starts as a node does: the catalog migrated, the local copies checked against it
/// (`CatalogFollower.reconcile`), so after any kill the next start leaves no local copy the cluster lacks, and
/// `fsck --cluster` finds no record without its blob.
struct ClusterDrill {
    let vault: OpenedVault
    let seed: String
    let count: Int
    let observer: ClusterStepObserver?

    func run() async throws {
        let logger = Logger(label: "crash-drill")
        guard let settings = try ClusterSettings(environment: ProcessInfo.processInfo.environment) else {
            FileHandle.standardError.write(Data("--cluster needs VOICEVAULT_CATALOG_URL and VOICEVAULT_BLOB_URL\n".utf8))
            exit(64)
        }
        let client = PostgresClient(configuration: settings.catalog.clientConfiguration, backgroundLogger: logger)
        let catalog = PostgresAssetCatalog(client: client, logger: logger)
        let blobs = settings.blobStore(httpClient: .shared)
        let node = ClusterNodeStore(
            local: vault.store, catalog: catalog, blobs: blobs,
            flights: PostgresFlightLock(catalog: settings.catalog, nodeURL: "http://drill", logger: logger), logger: logger,
            observer: observer)
        let voice = VoiceService(
            store: vault.store, synthesizer: DrillSynthesizer(), dailyCharacterBudget: nil,
            spendCounters: PostgresSpendCounters(client: client, logger: logger), cluster: node)
        let objects = ClusterObjectStore(
            catalog: PostgresObjectCatalog(client: client, logger: logger), blobs: blobs,
            copies: try LocalBlobCopies(directory: vault.store.directory.objectCopies, limit: 1 << 20), observer: observer)
        let uploads = ClusterResumableUploads(
            catalog: PostgresResumableCatalog(client: client, logger: logger), objects: objects, blobs: blobs,
            staging: vault.store.directory, observer: observer)
        let multipart = ClusterMultipartUploads(
            catalog: PostgresMultipartCatalog(client: client, logger: logger), objects: objects, blobs: blobs,
            staging: vault.store.directory, observer: observer)
        try await client.whileRunning {
            _ = try await CatalogMigrator.migrate(client, logger: logger)
            if let s3 = blobs as? S3BlobStore { try await s3.ensureBucket() }
            _ = try await CatalogFollower(catalogURL: settings.catalog, catalog: catalog, local: vault.store, logger: logger).reconcile()
            _ = try await uploads.recover(globalLimit: 1 << 20)  // as a node's start does
            _ = try await multipart.recover(globalLimit: 1 << 20)
            try await objects.catalog.ensureBucket(
                BucketRecord(
                    id: "drill", name: "drill", isPublic: false, fileSizeLimit: nil, allowedMimeTypes: nil, createdAt: 0, updatedAt: 0))
            FileHandle.standardOutput.write(Data("ready\n".utf8))
            try await operations(voice, objects: objects, uploads: uploads, multipart: multipart)
        }
    }

    /// `--cluster yes --jobs yes`: `JobsDrill` against the cluster's catalog (`PostgresJobCatalog`), killed
    /// inside an item's transaction or after its commit.
    static func jobs(observer: JobWriteObserver?) async throws {
        let logger = Logger(label: "crash-drill")
        guard let settings = try ClusterSettings(environment: ProcessInfo.processInfo.environment) else {
            FileHandle.standardError.write(Data("--cluster needs VOICEVAULT_CATALOG_URL and VOICEVAULT_BLOB_URL\n".utf8))
            exit(64)
        }
        let client = PostgresClient(configuration: settings.catalog.clientConfiguration, backgroundLogger: logger)
        try await client.whileRunning {
            _ = try await CatalogMigrator.migrate(client, logger: logger)
            try await JobsDrill(store: PostgresJobCatalog(client: client, logger: logger, observer: observer)).run()
        }
    }

    private func operations(
        _ voice: VoiceService, objects: ClusterObjectStore, uploads: ClusterResumableUploads, multipart: ClusterMultipartUploads
    ) async throws {
        let shared = try StorageIdentifier("shared", kind: .bookId)
        var operation = 0
        while operation < count {
            let book = try StorageIdentifier("book-\(operation % 3)", kind: .bookId)
            // One in five is cut short and must leave nothing recorded anywhere.
            let spec = try SpeechSpec(text: "Cluster drill \(seed) \(operation)" + (operation % 10 == 5 ? " cut" : ""), voiceId: "drill")
            guard (try? await voice.voice(spec, bookId: book)) != nil else {
                operation += 1
                continue
            }
            if operation % 3 == 0 { _ = try await voice.voice(spec, bookId: shared) }
            if operation % 4 == 3 {
                let old = try SpeechSpec(text: "Cluster drill \(seed) \(operation - 2)", voiceId: "drill").contentHash
                _ = try await voice.removeAsset(old)
            }
            if operation % 6 == 5 {
                let linked = try SpeechSpec(text: "Cluster drill \(seed) \(operation - 5)", voiceId: "drill").contentHash
                _ = try await voice.removeReference(linked, from: shared)
            }
            if operation % 9 == 8 { _ = try await voice.removeBook(try StorageIdentifier("book-\((operation / 9) % 3)", kind: .bookId)) }
            if operation % 7 == 6, let quota = voice.clusterQuota, let cluster = voice.cluster {
                // The cluster's quota just under what the cluster holds: the least recently heard go, as evictions.
                let held = try await cluster.totals().bytes
                if held > 0 { _ = try await quota.run(limit: held - 1) }
            }
            try await objectOperations(operation, objects: objects)
            try await resumableUpload(operation, uploads: uploads)
            try await multipartUpload(operation, uploads: multipart)
            operation += 1
        }
    }

    /// A Storage upload each time (five keys, replaced in turn; seven contents, so some blobs are shared), and a
    /// removal every fourth time.
    private func objectOperations(_ operation: Int, objects: ClusterObjectStore) async throws {
        let staging = try StagingFile(directory: vault.store.directory, limit: 1 << 20)
        defer { staging.discard() }
        try staging.append(Array("Storage object \(seed) \(operation % 7)".utf8))
        let staged = try staging.finish()
        _ = try await objects.put(
            staged: staged, mimeType: "text/plain", cacheControl: "no-cache", userMetadata: nil, bucket: "drill",
            key: "object-\(operation % 5)", upsert: true, globalLimit: 1 << 20)
        if operation % 4 == 3 { _ = try await objects.remove(bucket: "drill", keys: ["object-\((operation + 2) % 5)"]) }
    }

    /// An S3 multipart upload of two parts (the first sent twice, so a part is replaced), completed, or every
    /// fourth one aborted.
    private func multipartUpload(_ operation: Int, uploads: ClusterMultipartUploads) async throws {
        let upload = MultipartUpload(
            id: ResumableUploadStore.newId(), bucket: "drill", key: "multipart-\(operation % 3)", mimeType: "text/plain",
            cacheControl: "no-cache", userMetadata: nil, createdAt: Date().timeIntervalSince1970)
        try await uploads.create(upload, maximumInProgress: 1_000)
        var tags: [(number: Int, sha256: String)] = []
        for (number, text) in [(1, "first draft"), (1, "first \(seed) \(operation)"), (2, "second \(operation % 4)")] {
            let staging = try StagingFile(directory: vault.store.directory, limit: 1 << 20)
            defer { staging.discard() }
            try staging.append(Array(text.utf8))
            let sha = try await uploads.putPart(try staging.finish(), number: number, of: upload.id)
            tags.removeAll { $0.number == number }
            tags.append((number, sha))
        }
        guard operation % 4 != 3 else {
            try await uploads.remove(upload.id)
            return
        }
        _ = try await uploads.complete(upload.id, parts: tags, globalLimit: 1 << 20)
    }

    /// A resumable upload in two PATCHes (the second from a fresh writer, as another node would), replacing the
    /// key the last one made; every third is left unfinished and terminated.
    private func resumableUpload(_ operation: Int, uploads: ClusterResumableUploads) async throws {
        let bytes = Array("Resumable upload \(seed) \(operation) ".utf8) + Array(repeating: UInt8(operation % 256), count: 300)
        let now = Date().timeIntervalSince1970
        let upload = ResumableUpload(
            id: ResumableUploadStore.newId(), bucket: "drill", key: "upload-\(operation % 3)", length: bytes.count, mimeType: "text/plain",
            cacheControl: "no-cache", userMetadata: nil, upsert: true, metadataHeader: "", createdAt: now, expiresAt: now + 3_600)
        try await uploads.create(upload, maximumInProgress: 1_000)
        let first = try await uploads.sink(for: upload)
        try await first.append(Array(bytes[..<100]))
        let half = try await first.close()
        guard operation % 3 != 2 else {
            try await uploads.remove(half.id)
            return
        }
        let second = try await uploads.sink(for: half)
        try await second.append(Array(bytes[100...]))
        let whole = try await second.close()
        _ = try await uploads.complete(whole, globalLimit: 1 << 20)
    }
}
