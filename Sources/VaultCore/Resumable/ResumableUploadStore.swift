#if canImport(Glibc)
import Glibc
#endif
public import Foundation

/// TUS uploads in progress, on disk so they survive restarts: `<data>/uploads/<id>.json` (the manifest,
/// replaced atomically) and `<data>/uploads/<id>.part` (the bytes so far).
///
/// Durability: bytes are fsynced before the manifest that counts them is written (temp -> fsync -> rename ->
/// fsync the directory), and a writer cuts the part file back to the manifest's offset before appending, so
/// bytes a crash left beyond the last checkpoint are never counted. The last byte commits the object through
/// `ObjectStore.publish` under a version recorded in the manifest first; `recover()` (at start) finishes any
/// commit a crash interrupted, so a completed upload is published exactly once.
///
/// One request writes to an upload at a time (`claim`); a second is refused rather than interleaved.
/// Methods block on disk I/O; call them from a thread that may block.
public final class ResumableUploadStore: Sendable {
    public let objects: ObjectStore
    public let directory: String
    let observer: ResumableStepObserver?
    private let claimed = LockedSet()
    /// Makes counting the uploads in progress and adding one a single step.
    private let creation = PosixMutex()

    /// Bytes written between checkpoints within one PATCH: a connection cut mid-request keeps what arrived,
    /// to within this much.
    public static let checkpointBytes = 8 << 20

    public init(objects: ObjectStore, observer: ResumableStepObserver? = nil) {
        self.objects = objects
        directory = objects.directory.uploads
        self.observer = observer
    }

    func manifestPath(_ id: String) -> String { directory + "/" + id + ".json" }
    public func partPath(_ id: String) -> String { directory + "/" + id + ".part" }

    public static func newId() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    // MARK: Manifests

    public func upload(_ id: String) throws -> ResumableUpload? {
        guard ResumableUpload.isValidId(id) else { return nil }
        return try DurableFile.readJSON(ResumableUpload.self, at: manifestPath(id), unreadable: ResumableUploadError.unreadableManifest(id))
    }

    func save(_ upload: ResumableUpload) throws {
        try DurableFile.replace(manifestPath(upload.id), withJSON: upload, directory: directory)
    }

    /// Every upload's manifest (unreadable ones are skipped; `sweep` removes them once their files are old).
    public func all() throws -> [ResumableUpload] {
        try FileSystem.contents(of: directory).compactMap { name -> ResumableUpload? in
            guard name.hasSuffix(".json") else { return nil }
            return try? upload(String(name.dropLast(5)))
        }
    }

    // MARK: Lifecycle

    /// Records a new upload with no bytes yet, unless `maximumInProgress` are already in progress
    /// (`ResumableUploadError.tooManyUploads`); the count and the creation are one step, so concurrent
    /// creations cannot pass the bound together.
    public func create(_ upload: ResumableUpload, maximumInProgress: Int) throws {
        try creation.withLock {
            guard try count() < maximumInProgress else { throw ResumableUploadError.tooManyUploads(maximumInProgress) }
            try create(upload)
        }
    }

    /// Records a new upload with no bytes yet.
    public func create(_ upload: ResumableUpload) throws {
        precondition(ResumableUpload.isValidId(upload.id) && upload.offset == 0)
        let fd = FileSystem.openNoFollow(partPath(upload.id), O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        guard fd >= 0 else { throw SystemError.last("create", partPath(upload.id)) }
        close(fd)
        try save(upload)
    }

    /// Reserves the upload for one writer; false when another request holds it.
    public func claim(_ id: String) -> Bool { claimed.insert(id) }
    public func release(_ id: String) { claimed.remove(id) }

    /// A writer appending to the upload's part file from its checkpointed offset. Claim the upload first.
    public func writer(for upload: ResumableUpload) throws -> ResumablePartWriter {
        try ResumablePartWriter(store: self, upload: upload)
    }

    /// States the length of an upload created with `Upload-Defer-Length`.
    public func setLength(_ length: Int, of upload: ResumableUpload) throws -> ResumableUpload {
        var changed = upload
        changed.length = length
        try save(changed)
        return changed
    }

    /// Publishes a complete upload's bytes as its object and removes the upload. Safe to call again after a
    /// crash at any point (see the type's comment).
    public func complete(_ upload: ResumableUpload, globalLimit: Int) throws -> ObjectRecord {
        precondition(upload.isComplete)
        var upload = upload
        if upload.commitVersion == nil {
            upload.commitVersion = UUID().uuidString.lowercased()
            try save(upload)
            observer?(.commitPlanned)
        }
        guard let version = upload.commitVersion else { throw ResumableUploadError.unreadableManifest(upload.id) }
        let record: ObjectRecord
        if let current = try objects.catalog.object(bucket: upload.bucket, key: upload.key), current.version == version {
            record = current  // published before a crash; only the clean-up is left
        } else {
            let part = partPath(upload.id)
            let digest = try FileSystem.digest(of: part)
            guard digest.size == upload.length else {
                throw ResumableUploadError.partSizeMismatch(id: upload.id, expected: upload.length ?? 0, found: digest.size)
            }
            do {
                record = try objects.publish(
                    .init(path: part, version: version, size: digest.size, sha256: digest.sha256),
                    mimeType: upload.mimeType, cacheControl: upload.cacheControl, userMetadata: upload.userMetadata,
                    bucket: upload.bucket, key: upload.key, upsert: upload.upsert, globalLimit: globalLimit)
            } catch {
                // The object cannot be published (its key was taken meanwhile, the bucket went): the upload is over.
                if !DiskSpace.isExhausted(error) { try? remove(upload.id) }
                throw error
            }
        }
        try remove(upload.id)
        observer?(.cleanedUp)
        return record
    }

    /// Removes an upload's files (termination, expiry, completion).
    public func remove(_ id: String) throws {
        guard ResumableUpload.isValidId(id) else { return }
        try FileSystem.removeFile(manifestPath(id))
        try FileSystem.removeFile(partPath(id))
        try FileSystem.syncDirectory(directory)
    }

    /// Finishes commits a crash interrupted (manifests with a commit version, or with every byte counted:
    /// a client asking would be told the upload is whole, so it must become the object) and cuts every other
    /// part file back to its manifest's offset. Called once at start, before any request.
    public func recover(globalLimit: Int) throws -> (completed: Int, failed: Int) {
        var completed = 0
        var failed = 0
        for upload in try all() {
            if upload.commitVersion != nil || upload.isComplete {
                do {
                    _ = try complete(upload, globalLimit: globalLimit)
                    completed += 1
                } catch {
                    failed += 1
                }
            } else if let status = try FileSystem.status(partPath(upload.id)), status.size > upload.offset {
                try ResumablePartWriter.truncate(partPath(upload.id), to: upload.offset)
            }
        }
        return (completed, failed)
    }

    /// Removes uploads whose expiry has passed (not claimed by a request), leftover manifest temp files, and
    /// part files with no manifest. Returns how many uploads went.
    @discardableResult
    public func sweep(now: Double) throws -> Int {
        var removed = 0
        let names = try FileSystem.contents(of: directory)
        let manifests = Set(names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
        for name in names {
            if name.hasSuffix(".json.tmp") {
                try? FileSystem.removeFile(directory + "/" + name)
            } else if name.hasSuffix(".part"), !manifests.contains(String(name.dropLast(5))) {
                try? FileSystem.removeFile(directory + "/" + name)
            }
        }
        for id in manifests where ResumableUpload.isValidId(id) {
            guard let upload = try? upload(id), upload.commitVersion == nil, upload.expiresAt <= now, claim(id) else { continue }
            defer { release(id) }
            try remove(id)
            removed += 1
        }
        return removed
    }

    /// Uploads in progress (manifests on disk).
    public func count() throws -> Int {
        try FileSystem.contents(of: directory).filter { $0.hasSuffix(".json") }.count
    }
}

public enum ResumableUploadError: Error, Equatable, Sendable {
    case unreadableManifest(String)
    /// This many uploads are in progress already.
    case tooManyUploads(Int)
    case partSizeMismatch(id: String, expected: Int, found: Int)
}

/// The steps of a resumable upload's writes that the crash test kills at (with `ObjectWriteStep`s inside the
/// publication itself).
public enum ResumableStep: String, CaseIterable, Sendable {
    /// Bytes fsynced and the manifest counting them written.
    case checkpointed = "resumable-checkpointed"
    /// Every byte is on disk and the manifest names the version the object will be published under.
    case commitPlanned = "resumable-commit-planned"
    /// The object is published and the upload's files are gone.
    case cleanedUp = "resumable-cleaned-up"
}

public typealias ResumableStepObserver = @Sendable (ResumableStep) -> Void

/// A set of strings behind a lock: the uploads a request is writing to.
final class LockedSet: @unchecked Sendable {
    // @unchecked: `members` is only touched under `lock`.
    private let lock = PosixMutex()
    private var members = Set<String>()

    func insert(_ member: String) -> Bool { lock.withLock { members.insert(member).inserted } }
    func remove(_ member: String) { _ = lock.withLock { members.remove(member) } }

    /// Runs `finish` for each upload no request here holds (claiming it meanwhile), counting the completions
    /// that worked and those that failed: the recovery of a cluster's interrupted completions at a node's start.
    func finishEach<Upload>(
        _ uploads: [Upload], id: (Upload) -> String, _ finish: (Upload) async throws -> Void
    ) async -> (completed: Int, failed: Int) {
        var completed = 0
        var failed = 0
        for upload in uploads where insert(id(upload)) {
            defer { remove(id(upload)) }
            do {
                try await finish(upload)
                completed += 1
            } catch {
                failed += 1
            }
        }
        return (completed, failed)
    }
}
