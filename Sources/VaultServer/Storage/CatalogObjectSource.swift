import Foundation
import VaultCore

/// A bucket of uploaded objects in the data directory: records in the catalog, bytes in immutable version
/// files (`ObjectStore`).
struct CatalogObjectSource: StorageObjectSource {
    let bucket: String
    let objects: ObjectStore
    /// Keyed by version id: a version's bytes never change, so a held copy never goes stale.
    let cache: HotFileCache<String>
    let maximumUploadBytes: Int

    func permit(_ change: StorageChange) throws {}

    /// A read of mapped memory, where it is called.
    func object(key: String) async throws -> ObjectRecord? {
        try objects.catalog.object(bucket: bucket, key: key)
    }

    func prepare(_ record: ObjectRecord) async throws -> Bool { true }

    func bytes(of record: ObjectRecord) throws -> DownloadBytes? {
        try cache.bytes(for: record.version, path: objects.path(of: record))
    }

    func file(of record: ObjectRecord) -> String? {
        objects.path(of: record)
    }

    func folderContents(_ folder: String) async throws -> (folders: [String], objects: [ObjectRecord]) {
        let (objects, bucket) = (objects, bucket)
        return try await BlockingIO.run { try objects.catalog.folderContents(bucket: bucket, folder: folder) }
    }

    func keyPage(_ request: KeyPageRequest) async throws -> KeyPage {
        let (objects, bucket) = (objects, bucket)
        return try await BlockingIO.run { try objects.catalog.keyPage(bucket: bucket, request) }
    }

    func remove(keys: [String]) async throws -> [ObjectRecord] {
        let (objects, bucket) = (objects, bucket)
        return try await BlockingIO.run { try objects.remove(bucket: bucket, keys: keys) }
    }

    func remove(key: String, ifStill original: ObjectRecord) async throws -> Bool {
        let (objects, bucket) = (objects, bucket)
        return try await BlockingIO.run { try !objects.remove(bucket: bucket, keys: [key], ifVersion: original.version).isEmpty }
    }

    func empty() async throws {
        let (objects, bucket) = (objects, bucket)
        _ = try await BlockingIO.run { try objects.empty(bucket: bucket) }
    }

    func copy(from source: String, to destination: String, move: Bool, upsert: Bool) async throws -> ObjectRecord {
        let (objects, bucket) = (objects, bucket)
        return try await BlockingIO.run {
            move
                ? try objects.move(bucket: bucket, from: source, to: destination)
                : try objects.copy(bucket: bucket, from: source, to: destination, upsert: upsert)
        }
    }

    func put(_ upload: StagedUpload, key: String, upsert: Bool) async throws -> ObjectRecord {
        let (objects, bucket, limit) = (objects, bucket, maximumUploadBytes)
        return try await BlockingIO.run {
            try objects.put(
                staged: upload.staged, mimeType: upload.mimeType, cacheControl: upload.cacheControl,
                userMetadata: upload.userMetadata, bucket: bucket, key: key, upsert: upsert, globalLimit: limit)
        }
    }

    /// A hard link to the original's immutable file as a new version: no bytes are copied.
    func adopt(_ original: ObjectRecord, from source: any StorageObjectSource, key: String, upsert: Bool) async throws -> ObjectRecord {
        guard let file = source.file(of: original) else { throw SupabaseError.objectNotFound }
        let (objects, bucket, limit) = (objects, bucket, maximumUploadBytes)
        return try await BlockingIO.run {
            do {
                return try objects.adopt(file: file, as: original, bucket: bucket, key: key, upsert: upsert, globalLimit: limit)
            } catch let error as SystemError where error.errno == ENOENT {
                throw SupabaseError.objectNotFound  // removed while this request ran
            }
        }
    }
}
