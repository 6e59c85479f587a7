import VaultCore

/// A bucket of uploaded objects: records in the catalog, bytes in immutable version files (`ObjectStore`).
struct CatalogObjectSource: StorageObjectSource {
    let bucket: String
    let objects: ObjectStore
    /// Keyed by version id: a version's bytes never change, so a held copy never goes stale.
    let cache: HotFileCache<String>

    func permit(_ change: StorageChange) throws {}

    func object(key: String) throws -> ObjectRecord? {
        try objects.catalog.object(bucket: bucket, key: key)
    }

    func bytes(of record: ObjectRecord) throws -> DownloadBytes? {
        try cache.bytes(for: record.version, path: objects.path(of: record))
    }

    func file(of record: ObjectRecord) -> String? {
        objects.path(of: record)
    }

    func folderContents(_ folder: String) throws -> (folders: [String], objects: [ObjectRecord]) {
        try objects.catalog.folderContents(bucket: bucket, folder: folder)
    }

    func keyPage(_ request: KeyPageRequest) throws -> KeyPage {
        try objects.catalog.keyPage(bucket: bucket, request)
    }

    func remove(keys: [String]) throws -> [ObjectRecord] {
        try objects.remove(bucket: bucket, keys: keys)
    }

    func remove(key: String, ifStill original: ObjectRecord) throws -> Bool {
        try !objects.remove(bucket: bucket, keys: [key], ifVersion: original.version).isEmpty
    }

    func empty() throws {
        _ = try objects.empty(bucket: bucket)
    }

    func copy(from source: String, to destination: String, move: Bool, upsert: Bool) throws -> ObjectRecord {
        move
            ? try objects.move(bucket: bucket, from: source, to: destination)
            : try objects.copy(bucket: bucket, from: source, to: destination, upsert: upsert)
    }
}
