import VaultCore

/// Where one bucket's objects live, so each Storage call is written once for every bucket.
///
/// Uploaded objects live in the object catalog: the data directory's (`CatalogObjectSource`) or a cluster's
/// (`ClusterObjectSource`). The bucket `audio` is the generated MP3s, read from the asset index
/// (`GeneratedAudioSource`). `StorageRoutes` picks the source once per request, from the bucket name, and no
/// call asks which bucket it is again. Blocking work runs off the cooperative pool inside each source.
protocol StorageObjectSource: Sendable {
    /// Throws when this bucket does not take `change`: the generated audio only changes through the voice API.
    func permit(_ change: StorageChange) throws
    /// The object under `key`, nil when there is none.
    func object(key: String) async throws -> ObjectRecord?
    /// Makes `record`'s bytes answerable by `bytes(of:)` on this node (a cluster node brings in its copy);
    /// false when they are not held anywhere.
    func prepare(_ record: ObjectRecord) async throws -> Bool
    /// The bytes of `record` to answer a download with (held in memory or an open file), nil when missing.
    func bytes(of record: ObjectRecord) throws -> DownloadBytes?
    /// The immutable file that holds `record`'s bytes, for another bucket of the data directory to link.
    func file(of record: ObjectRecord) -> String?
    /// The direct children of `folder` (a prefix ending in `/`, or empty for the root).
    func folderContents(_ folder: String) async throws -> (folders: [String], objects: [ObjectRecord])
    /// One page of keys under a raw prefix, in key order (list-v2, S3 listings).
    func keyPage(_ request: KeyPageRequest) async throws -> KeyPage
    /// Removes the existing keys, skipping the others as Supabase does; returns the objects as they were.
    func remove(keys: [String]) async throws -> [ObjectRecord]
    /// Removes `key` only while it still holds `original`'s bytes, atomically; false when it no longer does
    /// (replaced or removed meanwhile). What a move out of this bucket does after the destination has the bytes.
    func remove(key: String, ifStill original: ObjectRecord) async throws -> Bool
    func empty() async throws
    /// Copies (or with `move`, moves) `source` to `destination` in the same bucket; returns the new object.
    /// A copy with `upsert` replaces an existing destination.
    func copy(from source: String, to destination: String, move: Bool, upsert: Bool) async throws -> ObjectRecord
    /// Publishes an upload staged on this node's disk as `key` (`objectExists` without `upsert` when taken).
    func put(_ upload: StagedUpload, key: String, upsert: Bool) async throws -> ObjectRecord
    /// Makes `original`, an object of `source` (another bucket), the object `key` here without copying bytes.
    /// `objectNotFound` when the original went meanwhile.
    func adopt(_ original: ObjectRecord, from source: any StorageObjectSource, key: String, upsert: Bool) async throws -> ObjectRecord
}

/// An upload's bytes staged on this node's disk, with what the client said about them.
struct StagedUpload: Sendable {
    let staged: StagingFile.Staged
    let mimeType: String
    let cacheControl: String
    let userMetadata: String?
}

/// A change to a bucket or its bytes that only uploaded buckets take.
enum StorageChange: Sendable {
    case settings, deletion, upload, replacement
}
