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

    /// Told each step of a write; the crash test kills the process at one.
    let observer: ObjectWriteObserver?

    public init(directory: DataDirectory, catalog: StorageCatalog, observer: ObjectWriteObserver? = nil) {
        self.directory = directory
        self.catalog = catalog
        self.observer = observer
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

    /// The most bytes an upload to `bucket` may have: the global cap, lowered by the bucket's own limit.
    /// Known before the body is read, so a streaming upload can stop at the first byte too many.
    public func uploadLimit(bucket: String, globalLimit: Int) throws -> Int {
        ObjectAdmission.uploadLimit(try policy(of: bucket), globalLimit: globalLimit)
    }

    /// Refuses a MIME type the bucket does not allow (before any byte of the body is read, where possible).
    public func checkMimeType(_ mimeType: String, bucket: String, key: String) throws {
        guard !StorageName.isFolderPlaceholder(key) else { return }
        try ObjectAdmission.checkMimeType(mimeType, key: key, in: try policy(of: bucket))
    }

    private func policy(of bucket: String) throws -> BucketRecord {
        guard let policy = try catalog.bucket(bucket) else { throw StorageCatalogError.bucketNotFound(bucket) }
        return policy
    }

    /// The checks a new version passes before any file moves (`ObjectAdmission`), and (unless replacing) a free
    /// key. The bucket row is read once, so the limit and the MIME rule come from the same row; the key check is
    /// a cheap early refusal that the commit repeats.
    private func admit(size: Int, mimeType: String, bucket: String, key: String, replacing: Bool, globalLimit: Int) throws {
        try ObjectAdmission.check(size: size, mimeType: mimeType, key: key, in: try policy(of: bucket), globalLimit: globalLimit)
        if !replacing, try catalog.object(bucket: bucket, key: key) != nil {
            throw StorageCatalogError.objectExists(bucket: bucket, key: key)
        }
    }

    /// Stores `upload` under `bucket/key`: stages the bytes in a temp file, then `put(staged:...)`.
    public func put(_ upload: Upload, bucket: String, key: String, upsert: Bool, globalLimit: Int, now: Date = Date()) throws
        -> ObjectRecord
    {
        let staging = try StagingFile(directory: directory, limit: try uploadLimit(bucket: bucket, globalLimit: globalLimit))
        defer { staging.discard() }  // a no-op once the file has been renamed into place
        try staging.append(upload.bytes)
        return try put(
            staged: staging.finish(), mimeType: upload.mimeType, cacheControl: upload.cacheControl,
            userMetadata: upload.userMetadata, bucket: bucket, key: key, upsert: upsert, globalLimit: globalLimit, now: now)
    }

    /// Publishes a finished staging file as `bucket/key`: rename to a new version file -> fsync the directory
    /// -> commit the record -> remove the replaced version's file. Without `upsert`, an existing key is
    /// `StorageCatalogError.objectExists` and nothing changes; the caller discards the staged file on any error.
    public func put(
        staged: StagingFile.Staged, mimeType: String, cacheControl: String, userMetadata: String?, bucket: String, key: String,
        upsert: Bool, globalLimit: Int, now: Date = Date()
    ) throws -> ObjectRecord {
        try admit(size: staged.size, mimeType: mimeType, bucket: bucket, key: key, replacing: upsert, globalLimit: globalLimit)
        let version = UUID().uuidString.lowercased()
        observer?(.staged)
        try FileSystem.rename(staged.path, to: directory.objectFile(version: version))
        observer?(.renamed)
        return try commit(
            version: version, size: staged.size, sha256: staged.sha256, mimeType: mimeType, cacheControl: cacheControl,
            userMetadata: userMetadata, bucket: bucket, key: key, upsert: upsert, now: now)
    }

    /// The steps after a new version's file is in place, shared by every write: fsync the directory -> commit
    /// the record -> remove the replaced version's file. On a failure before the commit the version file goes.
    private func commit(
        version: String, size: Int, sha256: SHA256Digest, mimeType: String, cacheControl: String, userMetadata: String?,
        bucket: String, key: String, upsert: Bool, now: Date
    ) throws -> ObjectRecord {
        let file = directory.objectFile(version: version)
        let time = now.timeIntervalSince1970
        let record = ObjectRecord(
            id: UUID().uuidString.lowercased(), bucket: bucket, key: key, version: version, size: size,
            mimeType: mimeType, cacheControl: cacheControl, sha256: sha256.hex,
            userMetadata: userMetadata, createdAt: time, updatedAt: time, lastAccessedAt: time)
        let previous: ObjectRecord?
        do {
            try FileSystem.syncDirectory(directory.objects)
            observer?(.versionEntrySynced)
            previous = try catalog.put(record, replacing: upsert)
        } catch {
            try? FileSystem.removeFile(file)
            throw error
        }
        observer?(.committed)
        if let previous, previous.version != version {
            try? FileSystem.removeFile(path(of: previous))
            observer?(.previousRemoved)
        }
        return try catalog.object(bucket: bucket, key: key) ?? record
    }

    /// What a finished upload assembled elsewhere (a resumable upload's part file, an S3 multipart upload's
    /// parts) is, so it can be published under a version chosen before the publication started.
    public struct Assembled: Sendable, Equatable {
        public let path: String
        public let version: String
        public let size: Int
        public let sha256: SHA256Digest

        public init(path: String, version: String, size: Int, sha256: SHA256Digest) {
            self.path = path
            self.version = version
            self.size = size
            self.sha256 = sha256
        }
    }

    /// Publishes `assembled` as `bucket/key` under its own version: link -> fsync the directory -> commit the
    /// record -> remove a replaced version's file. The file at `assembled.path` is left for the caller to remove.
    ///
    /// Idempotent, so a commit a crash interrupted is finished by doing it again: a record already naming the
    /// version is the publication done, and a version file already there is the same bytes (the version was
    /// chosen for these bytes and recorded before the first attempt).
    public func publish(
        _ assembled: Assembled, mimeType: String, cacheControl: String, userMetadata: String?, bucket: String, key: String,
        upsert: Bool, globalLimit: Int, now: Date = Date()
    ) throws -> ObjectRecord {
        guard StorageName.isVersionName(assembled.version) else {
            throw SystemError(errno: EINVAL, operation: "publish", path: assembled.version)
        }
        if let current = try catalog.object(bucket: bucket, key: key), current.version == assembled.version { return current }
        try admit(size: assembled.size, mimeType: mimeType, bucket: bucket, key: key, replacing: upsert, globalLimit: globalLimit)
        _ = try FileSystem.link(assembled.path, to: directory.objectFile(version: assembled.version))  // false: linked by an interrupted attempt
        observer?(.renamed)
        return try commit(
            version: assembled.version, size: assembled.size, sha256: assembled.sha256, mimeType: mimeType,
            cacheControl: cacheControl, userMetadata: userMetadata, bucket: bucket, key: key, upsert: upsert, now: now)
    }

    /// Makes `record` (an object brought from elsewhere, `voicevault migrate`) this store's, exactly as it is:
    /// the finished file at `path` becomes its version file (link -> fsync the directory), then the record is
    /// committed unless the key is taken. Whether it was added; a key that already holds the record's version
    /// is the restoration done by an earlier run. The file at `path` is left for the caller to remove.
    public func restore(_ record: ObjectRecord, from path: String) throws -> Bool {
        guard StorageName.isVersionName(record.version) else {
            throw SystemError(errno: EINVAL, operation: "restore", path: record.version)
        }
        if let current = try catalog.object(bucket: record.bucket, key: record.key) {
            guard current.version == record.version else { throw StorageCatalogError.objectExists(bucket: record.bucket, key: record.key) }
            return false
        }
        let file = directory.objectFile(version: record.version)
        _ = try FileSystem.link(path, to: file)  // false: linked by an interrupted run
        try FileSystem.syncDirectory(directory.objects)
        do { _ = try catalog.put(record, replacing: false) } catch {
            try? FileSystem.removeFile(file)
            throw error
        }
        return true
    }

    /// Removes the keys that exist (records first, then files) and returns their records. With `ifVersion`,
    /// only a key that still holds that version goes (see `StorageCatalog.remove`).
    public func remove(bucket: String, keys: [String], ifVersion version: String? = nil) throws -> [ObjectRecord] {
        guard try catalog.bucket(bucket) != nil else { throw StorageCatalogError.bucketNotFound(bucket) }
        let removed = try catalog.remove(bucket: bucket, keys: keys, ifVersion: version)
        if !removed.isEmpty { observer?(.removalCommitted) }
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

    /// Makes the immutable file at `path`, described by `original` (an object of another bucket, or a generated
    /// asset seen as one), the object `bucket/key`: a hard link as a new version, so no bytes are copied, then
    /// the record. The bucket's rules apply as to an upload (size limit, MIME types); an existing key is
    /// `objectExists`. The copy keeps the original's content type, cache control and metadata, as Supabase's does.
    public func adopt(
        file path: String, as original: ObjectRecord, bucket: String, key: String, upsert: Bool = false, globalLimit: Int,
        now: Date = Date()
    ) throws -> ObjectRecord {
        try admit(size: original.size, mimeType: original.mimeType, bucket: bucket, key: key, replacing: upsert, globalLimit: globalLimit)
        return try linkAsNewVersion(path, of: original, bucket: bucket, key: key, replacing: upsert, now: now)
    }

    /// Copies within a bucket: the new version is a hard link to the source's bytes (versions never change).
    /// The source can be replaced or removed between reading its record and linking its file (its old
    /// version's file is then gone): the record is read again, so the copy takes the newer version, or the
    /// source is not found; never a 500 for a file that vanished.
    /// With `upsert`, an existing destination is replaced (`x-upsert` on copy, as upstream honours it).
    public func copy(bucket: String, from source: String, to destination: String, upsert: Bool = false, now: Date = Date()) throws
        -> ObjectRecord
    {
        var previous: String?
        while true {
            guard let original = try catalog.object(bucket: bucket, key: source), original.version != previous else {
                throw StorageCatalogError.objectNotFound(bucket: bucket, key: source)
            }
            do {
                return try linkAsNewVersion(path(of: original), of: original, bucket: bucket, key: destination, replacing: upsert, now: now)
            } catch let error as SystemError where error.errno == ENOENT {
                previous = original.version
            }
        }
    }

    /// The object `bucket/key` as a new version that hard-links the immutable file at `path`, described by
    /// `original`: link -> fsync the directory -> commit the record -> (when it replaced one) remove the replaced
    /// version's file. On failure the link goes.
    private func linkAsNewVersion(
        _ path: String, of original: ObjectRecord, bucket: String, key: String, replacing: Bool,
        now: Date
    ) throws -> ObjectRecord {
        let version = UUID().uuidString.lowercased()
        let file = directory.objectFile(version: version)
        guard try FileSystem.link(path, to: file) else { throw SystemError(errno: EEXIST, operation: "link", path: file) }
        let time = now.timeIntervalSince1970
        var record = original
        record.id = UUID().uuidString.lowercased()
        record.bucket = bucket
        record.key = key
        record.version = version
        record.createdAt = time
        record.updatedAt = time
        record.lastAccessedAt = time
        let previous: ObjectRecord?
        do {
            try FileSystem.syncDirectory(directory.objects)
            previous = try catalog.put(record, replacing: replacing)
        } catch {
            try? FileSystem.removeFile(file)
            throw error
        }
        if let previous {
            try? FileSystem.removeFile(self.path(of: previous))
            return try catalog.object(bucket: bucket, key: key) ?? record
        }
        return record
    }
}
