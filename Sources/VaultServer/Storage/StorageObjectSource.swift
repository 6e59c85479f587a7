import VaultCore

/// Where one bucket's objects live, so each Storage call is written once for every bucket.
///
/// Uploaded objects live in the object catalog (`CatalogObjectSource`). The bucket `audio` is the generated
/// MP3s, read from the asset index (`GeneratedAudioSource`). `StorageRoutes` picks the source once per request,
/// from the bucket name, and no call asks which bucket it is again. Methods block on disk I/O unless noted.
protocol StorageObjectSource: Sendable {
    /// Throws when this bucket does not take `change`: the generated audio only changes through the voice API.
    func permit(_ change: StorageChange) throws
    /// The object under `key`, nil when there is none. A quick index read.
    func object(key: String) throws -> ObjectRecord?
    /// The bytes of `record` to answer a download with (held in memory or an open file), nil when missing.
    func bytes(of record: ObjectRecord) throws -> DownloadBytes?
    /// The immutable file that holds `record`'s bytes, for another bucket to link as its own version.
    func file(of record: ObjectRecord) -> String?
    /// The direct children of `folder` (a prefix ending in `/`, or empty for the root).
    func folderContents(_ folder: String) throws -> (folders: [String], objects: [ObjectRecord])
    /// One page of keys under a raw prefix, in key order (list-v2, S3 listings).
    func keyPage(_ request: KeyPageRequest) throws -> KeyPage
    /// Removes the existing keys, skipping the others as Supabase does; returns the objects as they were.
    func remove(keys: [String]) throws -> [ObjectRecord]
    /// Removes `key` only while it still holds `original`'s bytes, atomically; false when it no longer does
    /// (replaced or removed meanwhile). What a move out of this bucket does after the destination has the bytes.
    func remove(key: String, ifStill original: ObjectRecord) throws -> Bool
    func empty() throws
    /// Copies (or with `move`, moves) `source` to `destination` in the same bucket; returns the new object.
    /// A copy with `upsert` replaces an existing destination.
    func copy(from source: String, to destination: String, move: Bool, upsert: Bool) throws -> ObjectRecord
}

/// A change to a bucket or its bytes that only uploaded buckets take.
enum StorageChange: Sendable {
    case settings, deletion, upload, replacement
}
