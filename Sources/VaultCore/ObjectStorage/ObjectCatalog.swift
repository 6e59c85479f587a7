/// The catalog's half of Supabase Storage (Docs/CLUSTER.md, "Supabase Storage on cluster nodes"): buckets and
/// object records. The bytes are elsewhere (version files in the data directory embedded, the blob store in a
/// cluster); a record's `sha256` names them and its `version` names one write of them.
///
/// Invariants every implementation keeps, on any node:
/// - each method is one atomic step against every other caller: two uploads of a new key cannot both believe
///   they created it, a move never loses or doubles an object, a bucket is deleted only while it is empty;
/// - keys are compared and listed in bytewise order, as LMDB keeps them and S3 lists them;
/// - an overwrite keeps the object's `id` and `createdAt`.
public protocol ObjectCatalog: Sendable {
    func bucket(_ name: String) async throws -> BucketRecord?
    func allBuckets() async throws -> [BucketRecord]
    /// `StorageCatalogError.bucketExists` when the id is taken.
    func createBucket(_ record: BucketRecord) async throws
    /// Creates `record` unless a bucket of that id exists; whether it created it (built-in buckets made at start).
    @discardableResult func ensureBucket(_ record: BucketRecord) async throws -> Bool
    /// Changes a bucket's settings in one step; the record as changed.
    func updateBucket(_ name: String, _ change: @escaping @Sendable (inout BucketRecord) -> Void) async throws -> BucketRecord
    /// Deletes an empty bucket (`bucketNotFound`, `bucketNotEmpty`).
    func deleteBucket(_ name: String) async throws

    func object(bucket: String, key: String) async throws -> ObjectRecord?
    /// The direct children of `folder` (`""` for the root, else ending in `/`): sub-folder names and records.
    func folderContents(bucket: String, folder: String) async throws -> (folders: [String], objects: [ObjectRecord])
    /// One page of `bucket`'s keys for `request` (list-v2, S3 listings).
    func keyPage(bucket: String, _ request: KeyPageRequest) async throws -> KeyPage
    /// Stores `record`; without `replacing` an existing key is `objectExists`. The record it replaced, if any.
    /// The bucket must exist (`bucketNotFound`).
    func put(_ record: ObjectRecord, replacing: Bool) async throws -> ObjectRecord?
    /// Removes the given keys that exist (with `ifVersion`, only while they hold that version); their records.
    func remove(bucket: String, keys: [String], ifVersion version: String?) async throws -> [ObjectRecord]
    /// Renames `source` to `destination` in one step; the destination must be free (`objectExists`).
    func move(bucket: String, from source: String, to destination: String, now: Double) async throws -> ObjectRecord
}

extension ObjectCatalog {
    public func remove(bucket: String, keys: [String]) async throws -> [ObjectRecord] {
        try await remove(bucket: bucket, keys: keys, ifVersion: nil)
    }
}
