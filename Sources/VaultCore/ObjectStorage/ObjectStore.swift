#if canImport(Glibc)
import Glibc
#endif
public import Foundation

/// Uploaded objects: bytes in `<data>/objects/<version>`, records in `StorageCatalog`, kept consistent the
/// way audio is. A write goes temp file -> fsync -> rename to a new version file -> fsync the directory ->
/// commit the record; only then is a replaced version's file removed. A crash leaves at worst an unreferenced
/// version file or a temp file, never a record naming missing or partial bytes.
///
/// Methods block on disk I/O; call them from a thread that may block.
public final class ObjectStore: Sendable {
    public let directory: DataDirectory
    public let catalog: StorageCatalog

    public init(directory: DataDirectory, catalog: StorageCatalog) {
        self.directory = directory
        self.catalog = catalog
    }

    public enum Failure: Error, Equatable, Sendable {
        case tooLarge(limit: Int)
        case mimeTypeNotAllowed(String)
    }

    public struct Upload: Sendable {
        public var bytes: [UInt8]
        public var mimeType: String
        public var cacheControl: String
        public var userMetadata: String?

        public init(bytes: [UInt8], mimeType: String, cacheControl: String, userMetadata: String?) {
            self.bytes = bytes
            self.mimeType = mimeType
            self.cacheControl = cacheControl
            self.userMetadata = userMetadata
        }
    }

    public func path(of record: ObjectRecord) -> String { directory.objectFile(version: record.version) }

    /// Stores `upload` under `bucket/key`. Without `upsert`, an existing key is `StorageCatalogError.objectExists`
    /// and nothing changes. `globalLimit` caps every bucket.
    public func put(_ upload: Upload, bucket: String, key: String, upsert: Bool, globalLimit: Int, now: Date = Date()) throws -> ObjectRecord {
        guard let policy = try catalog.bucket(bucket) else { throw StorageCatalogError.bucketNotFound(bucket) }
        let limit = min(globalLimit, policy.fileSizeLimit ?? .max)
        guard upload.bytes.count <= limit else { throw Failure.tooLarge(limit: limit) }
        guard BucketPolicy.allows(mimeType: upload.mimeType, in: policy.allowedMimeTypes) else {
            throw Failure.mimeTypeNotAllowed(upload.mimeType)
        }
        if !upsert, try catalog.object(bucket: bucket, key: key) != nil {  // cheap early refusal; the commit re-checks
            throw StorageCatalogError.objectExists(bucket: bucket, key: key)
        }
        let version = UUID().uuidString.lowercased()
        let file = directory.objectFile(version: version)
        try writeDurably(upload.bytes, to: file)
        let time = now.timeIntervalSince1970
        let record = ObjectRecord(
            id: UUID().uuidString.lowercased(), bucket: bucket, key: key, version: version, size: upload.bytes.count,
            mimeType: upload.mimeType, cacheControl: upload.cacheControl, sha256: SHA256Digest.of(upload.bytes).hex,
            userMetadata: upload.userMetadata, createdAt: time, updatedAt: time, lastAccessedAt: time)
        let previous: ObjectRecord?
        do {
            previous = try catalog.put(record, replacing: upsert)
        } catch {
            try? FileSystem.removeFile(file)
            throw error
        }
        if let previous { try? FileSystem.removeFile(path(of: previous)) }
        return try catalog.object(bucket: bucket, key: key) ?? record
    }

    /// Removes the keys that exist (records first, then files) and returns their records.
    public func remove(bucket: String, keys: [String]) throws -> [ObjectRecord] {
        guard try catalog.bucket(bucket) != nil else { throw StorageCatalogError.bucketNotFound(bucket) }
        let removed = try catalog.remove(bucket: bucket, keys: keys)
        for record in removed { try? FileSystem.removeFile(path(of: record)) }
        if !removed.isEmpty { try? FileSystem.syncDirectory(directory.objects) }
        return removed
    }

    /// Removes every object of a bucket; returns how many.
    public func empty(bucket: String) throws -> Int {
        let keys = try catalog.objects(bucket: bucket).map(\.key)
        return try remove(bucket: bucket, keys: keys).count
    }

    public func move(bucket: String, from source: String, to destination: String, now: Date = Date()) throws -> ObjectRecord {
        try catalog.move(bucket: bucket, from: source, to: destination, now: now.timeIntervalSince1970)
    }

    /// Copies within a bucket: the new version is a hard link to the source's bytes (versions never change).
    public func copy(bucket: String, from source: String, to destination: String, now: Date = Date()) throws -> ObjectRecord {
        guard let original = try catalog.object(bucket: bucket, key: source) else {
            throw StorageCatalogError.objectNotFound(bucket: bucket, key: source)
        }
        let version = UUID().uuidString.lowercased()
        let file = directory.objectFile(version: version)
        _ = try FileSystem.link(path(of: original), to: file)
        try FileSystem.syncDirectory(directory.objects)
        let time = now.timeIntervalSince1970
        var record = original
        record.id = UUID().uuidString.lowercased()
        record.key = destination
        record.version = version
        record.createdAt = time
        record.updatedAt = time
        record.lastAccessedAt = time
        do {
            _ = try catalog.put(record, replacing: false)
        } catch {
            try? FileSystem.removeFile(file)
            throw error
        }
        return record
    }

    private func writeDurably(_ bytes: [UInt8], to destination: String) throws {
        let temporary = directory.temporary + "/object." + UUID().uuidString.lowercased() + ".part"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError.last("create", temporary) }
        do {
            try FileSystem.writeAll(fd, bytes[...], path: temporary)
            guard fsync(fd) == 0 else { throw SystemError.last("fsync", temporary) }
            guard close(fd) == 0 else { throw SystemError.last("close", temporary) }
        } catch {
            close(fd)
            try? FileSystem.removeFile(temporary)
            throw error
        }
        do {
            try FileSystem.rename(temporary, to: destination)
            try FileSystem.syncDirectory(directory.objects)
        } catch {
            try? FileSystem.removeFile(temporary)
            throw error
        }
    }
}
