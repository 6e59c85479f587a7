import Foundation

/// Buckets and object records in LMDB, beside the asset index in the same environment: `buckets`
/// (name -> JSON `BucketRecord`) and `objects` (`<bucket>\0<key>` -> JSON `ObjectRecord`). Keys sort
/// bytewise, so one bucket's objects are one contiguous range, listed in key order.
///
/// Each mutation is one write transaction that checks and changes together (create-if-absent, replace,
/// remove-if-present), so two uploads of the same key cannot both believe they created it.
public final class StorageCatalog: Sendable {
    let environment: LMDBEnvironment
    let buckets: LMDBDatabase
    let objects: LMDBDatabase

    public init(environment: LMDBEnvironment) throws {
        self.environment = environment
        buckets = try environment.database(named: "buckets")
        objects = try environment.database(named: "objects")
    }

    static func objectKey(_ bucket: String, _ key: String) -> [UInt8] { Array(bucket.utf8) + [0] + Array(key.utf8) }
    static func bucketPrefix(_ bucket: String) -> [UInt8] { Array(bucket.utf8) + [0] }

    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw StorageCatalogError.undecodableRecord(String(decoding: bytes.prefix(80), as: UTF8.self))
        }
    }

    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    // MARK: Buckets

    public func bucket(_ name: String) throws -> BucketRecord? {
        try environment.read { txn in try txn.get(Array(name.utf8), in: buckets).map { try Self.decode(BucketRecord.self, $0) } }
    }

    public func allBuckets() throws -> [BucketRecord] {
        try environment.read { txn in
            var result: [BucketRecord] = []
            try txn.scan(prefix: [], in: buckets) { _, value in
                result.append(try Self.decode(BucketRecord.self, value))
                return true
            }
            return result
        }
    }

    public func createBucket(_ record: BucketRecord) throws {
        try environment.write { txn in
            guard try txn.put(try Self.encode(record), for: Array(record.id.utf8), in: buckets, overwrite: false) else {
                throw StorageCatalogError.bucketExists(record.id)
            }
        }
    }

    /// Creates `record` unless a bucket of that id exists; returns whether it created it. For built-in buckets
    /// made at start, which keep their first creation time across restarts.
    @discardableResult
    public func ensureBucket(_ record: BucketRecord) throws -> Bool {
        try environment.write { txn in
            try txn.put(try Self.encode(record), for: Array(record.id.utf8), in: buckets, overwrite: false)
        }
    }

    public func updateBucket(_ name: String, _ change: (inout BucketRecord) -> Void) throws -> BucketRecord {
        try environment.write { txn in
            guard let raw = try txn.get(Array(name.utf8), in: buckets) else { throw StorageCatalogError.bucketNotFound(name) }
            var record = try Self.decode(BucketRecord.self, raw)
            change(&record)
            try txn.put(try Self.encode(record), for: Array(name.utf8), in: buckets)
            return record
        }
    }

    /// Deletes an empty bucket.
    public func deleteBucket(_ name: String) throws {
        try environment.write { txn in
            guard try txn.get(Array(name.utf8), in: buckets) != nil else { throw StorageCatalogError.bucketNotFound(name) }
            var empty = true
            try txn.scan(prefix: Self.bucketPrefix(name), in: objects) { _, _ in
                empty = false
                return false
            }
            guard empty else { throw StorageCatalogError.bucketNotEmpty(name) }
            _ = try txn.delete(Array(name.utf8), in: buckets)
        }
    }

    // MARK: Objects

    public func object(bucket: String, key: String) throws -> ObjectRecord? {
        try environment.read { txn in
            try txn.get(Self.objectKey(bucket, key), in: objects).map { try Self.decode(ObjectRecord.self, $0) }
        }
    }

    /// Every object of a bucket whose key starts with `prefix`, in key order.
    public func objects(bucket: String, keyPrefix: String = "") throws -> [ObjectRecord] {
        try environment.read { txn in
            var result: [ObjectRecord] = []
            try txn.scan(prefix: Self.objectKey(bucket, keyPrefix), in: objects) { _, value in
                result.append(try Self.decode(ObjectRecord.self, value))
                return true
            }
            return result
        }
    }

    /// The immediate children of `folder` (`""` for the root, else ending in `/`): the names of its
    /// sub-folders and the records of the objects directly in it.
    ///
    /// Keys sort bytewise, so a sub-folder is one contiguous run `<folder><name>/...`; after its first key the
    /// scan seeks to `<folder><name>0` (`0` follows `/`), past the whole run, without reading or decoding any
    /// record inside. A listing therefore costs one seek per sub-folder plus one decode per direct object,
    /// however many objects the sub-folders hold.
    public func folderContents(bucket: String, folder: String) throws -> (folders: [String], objects: [ObjectRecord]) {
        let prefix = Self.objectKey(bucket, folder)
        return try environment.read { txn in
            var folders: [String] = []
            var records: [ObjectRecord] = []
            var seek: [UInt8]?
            while true {
                var next: [UInt8]?
                try txn.scan(prefix: prefix, in: objects, from: seek) { key, value in
                    let rest = key[prefix.count...]
                    if let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
                        folders.append(String(decoding: rest[..<slash], as: UTF8.self))
                        next = Array(key[..<slash]) + [UInt8(ascii: "0")]
                        return false
                    }
                    records.append(try Self.decode(ObjectRecord.self, value))
                    return true
                }
                guard let next else { return (folders, records) }
                seek = next
            }
        }
    }

    /// One page of `bucket`'s keys for `request` (list-v2, S3 listings), in one read transaction: a folder
    /// costs one seek past its run, and only returned objects are decoded.
    public func keyPage(bucket: String, _ request: KeyPageRequest) throws -> KeyPage {
        let bucketPrefix = Self.bucketPrefix(bucket)
        let scanPrefix = Self.objectKey(bucket, request.prefix)
        var builder = KeyPageBuilder(request)
        return try environment.read { txn in
            var seek: [UInt8]? = Self.objectKey(bucket, builder.start)
            while let from = seek {
                seek = nil
                try txn.scan(prefix: scanPrefix, in: objects, from: from) { rawKey, value in
                    let key = String(decoding: rawKey[bucketPrefix.count...], as: UTF8.self)
                    switch try builder.offer(key, record: { try Self.decode(ObjectRecord.self, value) }) {
                    case .proceed: return true
                    case let .seek(to: target):
                        seek = Self.objectKey(bucket, target)
                        return false
                    case .stop: return false
                    }
                }
            }
            return builder.page
        }
    }

    /// Visits every object record of every bucket in key order, in pages so no read transaction stays open
    /// long (fsck). An undecodable record goes to `onCorrupt` with its raw key, and the scan goes on.
    public func forEachObject(
        pageSize: Int = 1024, onCorrupt: (_ key: [UInt8], _ error: any Error) throws -> Void,
        _ body: (ObjectRecord) throws -> Void
    ) throws {
        var after: [UInt8]?
        while true {
            var page: [(key: [UInt8], value: [UInt8])] = []
            try environment.read { txn in
                try txn.scan(prefix: [], in: objects, from: after) { key, value in
                    if key == after { return true }
                    page.append((key, value))
                    return page.count < pageSize
                }
            }
            for entry in page {
                let record: ObjectRecord
                do { record = try Self.decode(ObjectRecord.self, entry.value) } catch {
                    try onCorrupt(entry.key, error)
                    continue
                }
                try body(record)
            }
            guard page.count == pageSize, let last = page.last else { return }
            after = last.key
        }
    }

    /// Deletes raw object keys (fsck repairs of records that are undecodable or name missing bytes).
    public func deleteObjectKeys(_ keys: [[UInt8]]) throws {
        guard !keys.isEmpty else { return }
        try environment.write { txn in
            for key in keys { _ = try txn.delete(key, in: objects) }
        }
    }

    /// Stores `record`; with `replacing` false an existing key is an error. Returns the record it replaced.
    /// The bucket must exist.
    public func put(_ record: ObjectRecord, replacing: Bool) throws -> ObjectRecord? {
        try environment.write { txn in
            guard try txn.get(Array(record.bucket.utf8), in: buckets) != nil else {
                throw StorageCatalogError.bucketNotFound(record.bucket)
            }
            let key = Self.objectKey(record.bucket, record.key)
            let previous = try txn.get(key, in: objects).map { try Self.decode(ObjectRecord.self, $0) }
            if previous != nil, !replacing { throw StorageCatalogError.objectExists(bucket: record.bucket, key: record.key) }
            var stored = record
            if let previous {  // an overwrite keeps the object's identity and creation time
                stored.id = previous.id
                stored.createdAt = previous.createdAt
            }
            try txn.put(try Self.encode(stored), for: key, in: objects)
            return previous
        }
    }

    /// Removes the given keys that exist and returns their records. With `ifVersion`, a key is removed only
    /// while it still holds that version (compare and delete in one transaction): a move must not take away
    /// an upload that replaced the object it moved.
    public func remove(bucket: String, keys: [String], ifVersion version: String? = nil) throws -> [ObjectRecord] {
        try environment.write { txn in
            var removed: [ObjectRecord] = []
            for key in keys {
                let dbKey = Self.objectKey(bucket, key)
                guard let raw = try txn.get(dbKey, in: objects) else { continue }
                let record = try Self.decode(ObjectRecord.self, raw)
                if let version, record.version != version { continue }
                removed.append(record)
                _ = try txn.delete(dbKey, in: objects)
            }
            return removed
        }
    }

    /// Renames `source` to `destination` in one transaction; the destination must not exist.
    public func move(bucket: String, from source: String, to destination: String, now: Double) throws -> ObjectRecord {
        try environment.write { txn in
            guard let raw = try txn.get(Self.objectKey(bucket, source), in: objects) else {
                throw StorageCatalogError.objectNotFound(bucket: bucket, key: source)
            }
            guard try txn.get(Self.objectKey(bucket, destination), in: objects) == nil else {
                throw StorageCatalogError.objectExists(bucket: bucket, key: destination)
            }
            var record = try Self.decode(ObjectRecord.self, raw)
            record.key = destination
            record.updatedAt = now
            _ = try txn.delete(Self.objectKey(bucket, source), in: objects)
            try txn.put(try Self.encode(record), for: Self.objectKey(bucket, destination), in: objects)
            return record
        }
    }
}
