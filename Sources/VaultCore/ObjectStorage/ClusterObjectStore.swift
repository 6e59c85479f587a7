public import Foundation
import Synchronization

/// Supabase Storage's objects on a cluster node: records in the shared catalog, bytes in the cluster's blob
/// store by SHA-256 (shared with audio: identical bytes are one blob), and this node's copies of the blobs it
/// serves (`LocalBlobCopies`).
///
/// Crash order, as for audio: the blob is stored and verified before a record names it (the record's write
/// re-checks it under the blob's lock), and a removal takes the record first and the blob only once nothing
/// names it. A crash leaves at worst a blob no record names, which `fsck --cluster --repair` removes.
public final class ClusterObjectStore: Sendable {
    public let catalog: any SharedObjectCatalog
    let blobs: any BlobStore
    public let copies: LocalBlobCopies
    /// Told each `ClusterStep` of a write (the crash drill's hook; nil in a server).
    let observer: ClusterStepObserver?
    /// Fetches of blobs into this node's copies, one per blob however many downloads wait for it, so a burst of
    /// requests for one cold object costs one fetch and one buffer.
    private let fetching = Mutex<[SHA256Digest: Task<String?, any Error>]>([:])

    public init(catalog: any SharedObjectCatalog, blobs: any BlobStore, copies: LocalBlobCopies, observer: ClusterStepObserver? = nil) {
        self.catalog = catalog
        self.blobs = blobs
        self.copies = copies
        self.observer = observer
    }

    func policy(of bucket: String) async throws -> BucketRecord {
        guard let policy = try await catalog.bucket(bucket) else { throw StorageCatalogError.bucketNotFound(bucket) }
        return policy
    }

    /// Publishes a finished staging file as `bucket/key`: blob stored and verified -> record written (the blob
    /// checked again under its lock) -> a replaced version's blob removed when nothing else names it. The
    /// staged file becomes this node's copy; on failure the caller discards it.
    public func put(
        staged: StagingFile.Staged, mimeType: String, cacheControl: String, userMetadata: String?, bucket: String, key: String,
        upsert: Bool, globalLimit: Int, now: Date = Date(), version: String = UUID().uuidString.lowercased()
    ) async throws -> ObjectRecord {
        let policy = try await policy(of: bucket)
        try ObjectAdmission.check(size: staged.size, mimeType: mimeType, key: key, in: policy, globalLimit: globalLimit)
        if !upsert, try await catalog.object(bucket: bucket, key: key) != nil {
            throw StorageCatalogError.objectExists(bucket: bucket, key: key)
        }
        let path = staged.path
        try await blobs.put(file: path, size: staged.size, sha256: staged.sha256)
        observer?(.objectBlobStored)
        let time = now.timeIntervalSince1970
        let record = ObjectRecord(
            id: UUID().uuidString.lowercased(), bucket: bucket, key: key, version: version, size: staged.size, mimeType: mimeType,
            cacheControl: cacheControl, sha256: staged.sha256.hex,
            userMetadata: userMetadata, createdAt: time, updatedAt: time, lastAccessedAt: time)
        let stored = try await write(record, replacing: upsert, file: path)
        let copies = copies
        try? await BlockingIO.run { try copies.adopt(file: path, size: staged.size, as: staged.sha256) }
        return stored
    }

    /// Writes `record` under its blob's lock, storing the bytes in `file` again if a removal took the blob
    /// meanwhile (or failing with `blobMissing` when there is no file to store), then lets a replaced blob go.
    func write(_ record: ObjectRecord, replacing: Bool, file: String?) async throws -> ObjectRecord {
        guard let blob = SHA256Digest(hex: record.sha256) else {
            throw StorageCatalogError.undecodableRecord("object \(record.bucket)/\(record.key) names no sha256")
        }
        let blobs = blobs
        let size = record.size
        let previous = try await catalog.put(record, replacing: replacing) {
            guard try await blobs.size(of: blob) != size else { return }
            guard let file else { throw ClusterObjectStoreError.blobMissing(blob.hex) }
            try await blobs.put(file: file, size: size, sha256: blob)
        }
        observer?(.objectRecordCommitted)
        if let previous, previous.sha256 != record.sha256 { await release(previous) }
        return try await catalog.object(bucket: record.bucket, key: record.key) ?? record
    }

    /// The path of this node's copy of `record`'s bytes, fetched from the blob store when it has none; nil
    /// when the blob store does not hold them.
    public func localCopy(of record: ObjectRecord) async throws -> String? {
        guard let blob = SHA256Digest(hex: record.sha256) else { return nil }
        if let held = copies.held(blob) { return held }
        let task = fetching.withLock { running in
            if let task = running[blob] { return task }
            let task = Task { try await self.fetch(record, blob: blob) }
            running[blob] = task
            return task
        }
        defer { fetching.withLock { running in if running[blob] == task { running[blob] = nil } } }
        return try await task.value
    }

    private func fetch(_ record: ObjectRecord, blob: SHA256Digest) async throws -> String? {
        if let held = copies.held(blob) { return held }
        guard let bytes = try await blobs.read(blob, range: nil) else { return nil }
        guard bytes.count == record.size, SHA256Digest.of(bytes) == blob else {
            throw BlobStoreError.mismatch("blob \(blob.hex) does not hold object \(record.bucket)/\(record.key)'s bytes")
        }
        let copies = copies
        try await BlockingIO.run { try copies.keep(bytes, as: blob) }
        return copies.path(blob)
    }

    /// Removes the keys that exist (records first, then blobs nothing else names); their records.
    public func remove(bucket: String, keys: [String], ifVersion version: String? = nil) async throws -> [ObjectRecord] {
        _ = try await policy(of: bucket)
        let removed = try await catalog.remove(bucket: bucket, keys: keys, ifVersion: version)
        if !removed.isEmpty { observer?(.objectRecordRemoved) }
        var released: Set<String> = []
        for record in removed where released.insert(record.sha256).inserted { await release(record) }
        return removed
    }

    /// Every object of a bucket goes, a page at a time; how many.
    public func empty(bucket: String) async throws -> Int {
        var count = 0
        while true {
            let page = try await catalog.keyPage(bucket: bucket, KeyPageRequest(prefix: "", delimited: false, limit: 1_000))
            let keys = page.entries.map(\.key)
            guard !keys.isEmpty else { return count }
            count += try await remove(bucket: bucket, keys: keys).count
        }
    }

    public func move(bucket: String, from source: String, to destination: String, now: Date = Date()) async throws -> ObjectRecord {
        try await catalog.move(bucket: bucket, from: source, to: destination, now: now.timeIntervalSince1970)
    }

    /// `original`'s bytes (an object of any bucket, or generated audio seen as one: both are blobs) as the
    /// object `bucket/key`, a new version naming the same blob: no bytes are copied. The bucket's rules apply
    /// as to an upload. The copy keeps the original's content type, cache control and metadata.
    public func adopt(_ original: ObjectRecord, bucket: String, key: String, upsert: Bool, globalLimit: Int, now: Date = Date())
        async throws -> ObjectRecord
    {
        let policy = try await policy(of: bucket)
        try ObjectAdmission.check(size: original.size, mimeType: original.mimeType, key: key, in: policy, globalLimit: globalLimit)
        let time = now.timeIntervalSince1970
        var record = original
        record.id = UUID().uuidString.lowercased()
        record.bucket = bucket
        record.key = key
        record.version = UUID().uuidString.lowercased()
        record.createdAt = time
        record.updatedAt = time
        record.lastAccessedAt = time
        do {
            return try await write(record, replacing: upsert, file: nil)
        } catch ClusterObjectStoreError.blobMissing {
            throw StorageCatalogError.objectNotFound(bucket: original.bucket, key: original.key)  // removed while copied
        }
    }

    /// Copies within a bucket: a new version naming the source's blob (`adopt`).
    public func copy(bucket: String, from source: String, to destination: String, upsert: Bool, globalLimit: Int) async throws
        -> ObjectRecord
    {
        guard let original = try await catalog.object(bucket: bucket, key: source) else {
            throw StorageCatalogError.objectNotFound(bucket: bucket, key: source)
        }
        return try await adopt(original, bucket: bucket, key: destination, upsert: upsert, globalLimit: globalLimit)
    }

    /// Deletes `record`'s blob when nothing names it any more. A failure leaves an unnamed blob, which is
    /// space, not data: fsck removes it.
    func release(_ record: ObjectRecord) async {
        guard let blob = SHA256Digest(hex: record.sha256) else { return }
        await release(blob: blob)
    }

    /// Deletes the blob when nothing (asset, object, upload part) names it any more.
    func release(blob: SHA256Digest) async {
        let blobs = blobs
        if (try? await catalog.deleteBlobIfUnreferenced(blob, { try await blobs.delete(blob) })) == true {
            copies.forget(blob)
        }
    }
}

public enum ClusterObjectStoreError: Error, Equatable, Sendable {
    /// A record was to name a blob that is gone, and there were no bytes to store again.
    case blobMissing(String)
}
