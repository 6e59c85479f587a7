/// The embedded `ObjectCatalog`: LMDB's `StorageCatalog`. Reads run where they are called (an LMDB read is a
/// lookup in mapped memory); writes, which commit with an fsync, run off the cooperative pool.
public struct EmbeddedObjectCatalog: ObjectCatalog {
    public let catalog: StorageCatalog

    public init(catalog: StorageCatalog) {
        self.catalog = catalog
    }

    public func bucket(_ name: String) async throws -> BucketRecord? { try catalog.bucket(name) }

    public func allBuckets() async throws -> [BucketRecord] { try catalog.allBuckets() }

    public func createBucket(_ record: BucketRecord) async throws {
        let catalog = catalog
        try await BlockingIO.run { try catalog.createBucket(record) }
    }

    @discardableResult
    public func ensureBucket(_ record: BucketRecord) async throws -> Bool {
        let catalog = catalog
        return try await BlockingIO.run { try catalog.ensureBucket(record) }
    }

    public func updateBucket(_ name: String, _ change: @escaping @Sendable (inout BucketRecord) -> Void) async throws -> BucketRecord {
        let catalog = catalog
        return try await BlockingIO.run { try catalog.updateBucket(name, change) }
    }

    public func deleteBucket(_ name: String) async throws {
        let catalog = catalog
        try await BlockingIO.run { try catalog.deleteBucket(name) }
    }

    public func object(bucket: String, key: String) async throws -> ObjectRecord? { try catalog.object(bucket: bucket, key: key) }

    public func folderContents(bucket: String, folder: String) async throws -> (folders: [String], objects: [ObjectRecord]) {
        let catalog = catalog
        return try await BlockingIO.run { try catalog.folderContents(bucket: bucket, folder: folder) }
    }

    public func keyPage(bucket: String, _ request: KeyPageRequest) async throws -> KeyPage {
        let catalog = catalog
        return try await BlockingIO.run { try catalog.keyPage(bucket: bucket, request) }
    }

    public func put(_ record: ObjectRecord, replacing: Bool) async throws -> ObjectRecord? {
        let catalog = catalog
        return try await BlockingIO.run { try catalog.put(record, replacing: replacing) }
    }

    public func remove(bucket: String, keys: [String], ifVersion version: String?) async throws -> [ObjectRecord] {
        let catalog = catalog
        return try await BlockingIO.run { try catalog.remove(bucket: bucket, keys: keys, ifVersion: version) }
    }

    public func move(bucket: String, from source: String, to destination: String, now: Double) async throws -> ObjectRecord {
        let catalog = catalog
        return try await BlockingIO.run { try catalog.move(bucket: bucket, from: source, to: destination, now: now) }
    }
}
