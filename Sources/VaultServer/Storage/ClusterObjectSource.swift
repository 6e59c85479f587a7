import VaultCore

/// A bucket of uploaded objects on a cluster node: records in the cluster's catalog, bytes in its blob store
/// (`ClusterObjectStore`), answered from this node's copy of the blob, brought in on first use.
struct ClusterObjectSource: StorageObjectSource {
    let bucket: String
    let objects: ClusterObjectStore
    /// Keyed by blob digest: bytes under a digest never change, so a held copy never goes stale.
    let cache: HotFileCache<String>
    let maximumUploadBytes: Int

    func permit(_ change: StorageChange) throws {}

    func object(key: String) async throws -> ObjectRecord? {
        try await objects.catalog.object(bucket: bucket, key: key)
    }

    func prepare(_ record: ObjectRecord) async throws -> Bool {
        try await objects.localCopy(of: record) != nil
    }

    func bytes(of record: ObjectRecord) throws -> DownloadBytes? {
        guard let blob = SHA256Digest(hex: record.sha256) else { return nil }
        return try cache.bytes(for: blob.hex, path: objects.copies.path(blob))
    }

    /// Nothing here is a file another bucket could link: `adopt` names the same blob instead.
    func file(of record: ObjectRecord) -> String? { nil }

    func folderContents(_ folder: String) async throws -> (folders: [String], objects: [ObjectRecord]) {
        try await objects.catalog.folderContents(bucket: bucket, folder: folder)
    }

    func keyPage(_ request: KeyPageRequest) async throws -> KeyPage {
        try await objects.catalog.keyPage(bucket: bucket, request)
    }

    func remove(keys: [String]) async throws -> [ObjectRecord] {
        try await objects.remove(bucket: bucket, keys: keys)
    }

    func remove(key: String, ifStill original: ObjectRecord) async throws -> Bool {
        try await !objects.remove(bucket: bucket, keys: [key], ifVersion: original.version).isEmpty
    }

    func empty() async throws {
        _ = try await objects.empty(bucket: bucket)
    }

    func copy(from source: String, to destination: String, move: Bool, upsert: Bool) async throws -> ObjectRecord {
        move
            ? try await objects.move(bucket: bucket, from: source, to: destination)
            : try await objects.copy(bucket: bucket, from: source, to: destination, upsert: upsert, globalLimit: maximumUploadBytes)
    }

    func put(_ upload: StagedUpload, key: String, upsert: Bool) async throws -> ObjectRecord {
        try await objects.put(
            staged: upload.staged, mimeType: upload.mimeType, cacheControl: upload.cacheControl, userMetadata: upload.userMetadata,
            bucket: bucket, key: key, upsert: upsert, globalLimit: maximumUploadBytes)
    }

    /// A new version naming the original's blob: objects of the cluster's buckets and its generated audio alike
    /// are blobs it holds under their SHA-256.
    func adopt(_ original: ObjectRecord, from source: any StorageObjectSource, key: String, upsert: Bool) async throws -> ObjectRecord {
        guard source is ClusterObjectSource || source is ClusterAudioBucket else {
            throw SupabaseError.invalidRequest("only the cluster's own objects can be copied on a cluster node")
        }
        do {
            return try await objects.adopt(original, bucket: bucket, key: key, upsert: upsert, globalLimit: maximumUploadBytes)
        } catch StorageCatalogError.objectNotFound {
            throw SupabaseError.objectNotFound  // removed while this request ran
        }
    }
}
