public import Logging
public import VaultCore

/// The cluster's object catalog as a serving node calls it (`CatalogCall`): each call within the catalog's
/// deadline, Storage's own refusals kept as they are, and a catalog that is away or failing answered as
/// `catalogUnavailable` (503) rather than as an internal error.
public struct NodeObjectCatalog: SharedObjectCatalog {
    let catalog: PostgresObjectCatalog
    let logger: Logger

    public init(catalog: PostgresObjectCatalog, logger: Logger) {
        self.catalog = catalog
        self.logger = logger
    }

    func call<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await CatalogCall.run(
            logger: logger, keeping: { $0 is StorageCatalogError || $0 is BlobStoreError || $0 is ClusterObjectStoreError }, body)
    }

    public func bucket(_ name: String) async throws -> BucketRecord? { try await call { try await catalog.bucket(name) } }
    public func allBuckets() async throws -> [BucketRecord] { try await call { try await catalog.allBuckets() } }
    public func createBucket(_ record: BucketRecord) async throws { try await call { try await catalog.createBucket(record) } }

    @discardableResult
    public func ensureBucket(_ record: BucketRecord) async throws -> Bool { try await call { try await catalog.ensureBucket(record) } }

    public func updateBucket(_ name: String, _ change: @escaping @Sendable (inout BucketRecord) -> Void) async throws -> BucketRecord {
        try await call { try await catalog.updateBucket(name, change) }
    }

    public func deleteBucket(_ name: String) async throws { try await call { try await catalog.deleteBucket(name) } }

    public func object(bucket: String, key: String) async throws -> ObjectRecord? {
        try await call { try await catalog.object(bucket: bucket, key: key) }
    }

    public func folderContents(bucket: String, folder: String) async throws -> (folders: [String], objects: [ObjectRecord]) {
        try await call { try await catalog.folderContents(bucket: bucket, folder: folder) }
    }

    public func keyPage(bucket: String, _ request: KeyPageRequest) async throws -> KeyPage {
        try await call { try await catalog.keyPage(bucket: bucket, request) }
    }

    public func put(_ record: ObjectRecord, replacing: Bool) async throws -> ObjectRecord? {
        try await call { try await catalog.put(record, replacing: replacing) }
    }

    public func put(_ record: ObjectRecord, replacing: Bool, ensuringBlob: @escaping @Sendable () async throws -> Void) async throws
        -> ObjectRecord?
    {
        try await call { try await catalog.put(record, replacing: replacing, ensuringBlob: ensuringBlob) }
    }

    public func remove(bucket: String, keys: [String], ifVersion version: String?) async throws -> [ObjectRecord] {
        try await call { try await catalog.remove(bucket: bucket, keys: keys, ifVersion: version) }
    }

    public func move(bucket: String, from source: String, to destination: String, now: Double) async throws -> ObjectRecord {
        try await call { try await catalog.move(bucket: bucket, from: source, to: destination, now: now) }
    }

    public func deleteBlobIfUnreferenced(_ blob: SHA256Digest, _ delete: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        try await call { try await catalog.deleteBlobIfUnreferenced(blob, delete) }
    }
}
