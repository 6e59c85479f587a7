/// An `ObjectCatalog` that several nodes share with their blob store (a cluster's PostgreSQL). Objects and
/// assets name their bytes by SHA-256 in one blob store, so identical bytes are stored once whoever holds them;
/// a blob may then go only when no record of either kind names it, and never while a record naming it is being
/// written. Both sides take the blob's lock for that.
public protocol SharedObjectCatalog: ObjectCatalog {
    /// `put`, with `ensuringBlob` run under the blob's lock just before the record is written: it makes sure
    /// the blob is (still) there, since a removal may have deleted it after it was stored.
    func put(_ record: ObjectRecord, replacing: Bool, ensuringBlob: @escaping @Sendable () async throws -> Void) async throws
        -> ObjectRecord?
    /// Runs `delete` under the blob's lock when no asset and no object names the blob; whether it ran.
    func deleteBlobIfUnreferenced(_ blob: SHA256Digest, _ delete: @escaping @Sendable () async throws -> Void) async throws -> Bool
}
