#if canImport(Glibc)
import Glibc
#endif
public import Foundation

/// S3 multipart uploads in progress: `<data>/multipart/<id>/upload.json` (the manifest) and one file per part,
/// `<number>-<sha256>.part`, each written whole (staged, fsynced, renamed) so parts arrive concurrently, in any
/// order, and a part uploaded again simply adds its new file. A part's ETag is its SHA-256, so completion names
/// the exact files the client was answered for.
///
/// Completion: the plan (version id and parts) goes into the manifest first; the parts are concatenated into
/// `assembled` (fsynced, renamed); `ObjectStore.publish` commits the object under the planned version; the
/// directory goes. `recover()` at start finishes a completion a crash interrupted, from whichever step it
/// reached, so a completed upload is published exactly once and never from a partial file.
///
/// Methods block on disk I/O; call them from a thread that may block.
public final class MultipartUploadStore: Sendable {
    public let objects: ObjectStore
    let directory: String
    let observer: MultipartStepObserver?
    private let claimed = LockedSet()
    /// Makes counting the uploads in progress and adding one a single step.
    private let creation = PosixMutex()

    public static let maximumParts = 10_000
    /// Uploads never completed nor aborted are swept after this long (S3 keeps them until a lifecycle rule).
    public static let abandonedAfterSeconds: Double = 7 * 86_400

    public init(objects: ObjectStore, observer: MultipartStepObserver? = nil) {
        self.objects = objects
        directory = objects.directory.multipart
        self.observer = observer
    }

    func uploadDirectory(_ id: String) -> String { directory + "/" + id }
    func manifestPath(_ id: String) -> String { uploadDirectory(id) + "/upload.json" }
    func assembledPath(_ id: String) -> String { uploadDirectory(id) + "/assembled" }
    func partPath(_ id: String, number: Int, sha256: String) -> String { uploadDirectory(id) + "/\(number)-\(sha256).part" }

    // MARK: Manifests

    public func upload(_ id: String) throws -> MultipartUpload? {
        guard ResumableUpload.isValidId(id) else { return nil }
        return try DurableFile.readJSON(MultipartUpload.self, at: manifestPath(id), unreadable: ResumableUploadError.unreadableManifest(id))
    }

    func save(_ upload: MultipartUpload) throws {
        try DurableFile.replace(manifestPath(upload.id), withJSON: upload, directory: uploadDirectory(upload.id))
    }

    /// Uploads in progress (directories).
    public func count() throws -> Int {
        try FileSystem.contents(of: directory).filter(ResumableUpload.isValidId).count
    }

    public func all() throws -> [MultipartUpload] {
        try FileSystem.contents(of: directory).compactMap { try? upload($0) }
    }

    // MARK: Lifecycle

    /// Records a new upload unless `maximumInProgress` are already in progress
    /// (`ResumableUploadError.tooManyUploads`), counting and creating in one step.
    public func create(_ upload: MultipartUpload, maximumInProgress: Int) throws {
        try creation.withLock {
            guard try count() < maximumInProgress else { throw ResumableUploadError.tooManyUploads(maximumInProgress) }
            try create(upload)
        }
    }

    public func create(_ upload: MultipartUpload) throws {
        precondition(ResumableUpload.isValidId(upload.id))
        _ = try FileSystem.makeDirectory(uploadDirectory(upload.id))
        try FileSystem.syncDirectory(directory)
        try save(upload)
    }

    /// Stores a staged part as part `number` of upload `id`; returns its SHA-256 (the part's ETag).
    public func putPart(_ staged: StagingFile.Staged, number: Int, of id: String) throws -> String {
        guard try upload(id) != nil else { throw S3Error.noSuchUpload }
        let sha = staged.sha256.hex
        do {
            try FileSystem.rename(staged.path, to: partPath(id, number: number, sha256: sha))
        } catch  where error.errno == ENOENT {
            throw S3Error.noSuchUpload  // aborted or completed meanwhile
        }
        try FileSystem.syncDirectory(uploadDirectory(id))
        return sha
    }

    /// The newest file of each part number, in number order.
    public func parts(of id: String) throws -> [MultipartPart] {
        var newest: [Int: MultipartPart] = [:]
        for name in try FileSystem.contents(of: uploadDirectory(id)) where name.hasSuffix(".part") {
            let stem = name.dropLast(5).split(separator: "-", maxSplits: 1)
            guard stem.count == 2, let number = Int(stem[0]), let status = try FileSystem.status(uploadDirectory(id) + "/" + name) else {
                continue
            }
            let part = MultipartPart(number: number, sha256: String(stem[1]), size: status.size, modifiedAt: status.modificationTime)
            if let existing = newest[number], existing.modifiedAt > part.modifiedAt { continue }
            newest[number] = part
        }
        return newest.values.sorted { $0.number < $1.number }
    }

    public func claim(_ id: String) -> Bool { claimed.insert(id) }
    public func release(_ id: String) { claimed.remove(id) }

    /// Completes upload `id` from the named parts (ascending numbers, each with the ETag it was answered);
    /// publishes the object and removes the upload. The caller has claimed the upload.
    public func complete(_ id: String, parts chosen: [(number: Int, sha256: String)], globalLimit: Int) throws -> ObjectRecord {
        guard var upload = try upload(id) else { throw S3Error.noSuchUpload }
        if upload.completion == nil {
            let parts = try MultipartUpload.Completion.parts(chosen) { number, sha256 in
                FileSystem.exists(partPath(id, number: number, sha256: sha256))
            }
            upload.completion = .init(version: UUID().uuidString.lowercased(), parts: parts)
            try save(upload)
            observer?(.planned)
        }
        return try finish(upload, globalLimit: globalLimit)
    }

    /// Carries a planned completion through from wherever it stopped.
    func finish(_ upload: MultipartUpload, globalLimit: Int) throws -> ObjectRecord {
        guard let plan = upload.completion else { throw S3Error.noSuchUpload }
        if let current = try objects.catalog.object(bucket: upload.bucket, key: upload.key), current.version == plan.version {
            try remove(upload.id)
            return current
        }
        let assembled = assembledPath(upload.id)
        let digest: (size: Int, sha256: SHA256Digest)
        if FileSystem.exists(assembled) {
            digest = try FileSystem.digest(of: assembled)
        } else {
            digest = try assemble(upload, plan)
            observer?(.assembled)
        }
        let record: ObjectRecord
        do {
            record = try objects.publish(
                .init(path: assembled, version: plan.version, size: digest.size, sha256: digest.sha256),
                mimeType: upload.mimeType, cacheControl: upload.cacheControl, userMetadata: upload.userMetadata,
                bucket: upload.bucket, key: upload.key, upsert: true, globalLimit: globalLimit)
        } catch {
            if !DiskSpace.isExhausted(error) { try? remove(upload.id) }
            throw error
        }
        try remove(upload.id)
        observer?(.cleanedUp)
        return record
    }

    /// Concatenates the planned parts into `assembled` (durably), checking each part's bytes on the way.
    private func assemble(_ upload: MultipartUpload, _ plan: MultipartUpload.Completion) throws -> (size: Int, sha256: SHA256Digest) {
        let temporary = assembledPath(upload.id) + ".tmp"
        let out = FileSystem.openNoFollow(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        guard out >= 0 else { throw SystemError.last("create", temporary) }
        defer { close(out) }
        var whole = SHA256Hasher()
        var size = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for part in plan.parts {
            let path = partPath(upload.id, number: part.number, sha256: part.sha256)
            let input = FileSystem.openNoFollow(path, O_RDONLY)
            guard input >= 0 else { throw S3Error(400, "InvalidPart", "part \(part.number) is gone") }
            defer { close(input) }
            var partHash = SHA256Hasher()
            while true {
                let count = read(input, buffer.baseAddress, buffer.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw SystemError.last("read", path)
                }
                if count == 0 { break }
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                try FileSystem.writeAll(out, bytes, path: temporary)
                partHash.update(bytes)
                whole.update(bytes)
                size += count
            }
            guard partHash.finalize().hex == part.sha256 else {
                throw S3Error(400, "InvalidPart", "part \(part.number) does not hold the bytes its ETag names")
            }
        }
        guard fsync(out) == 0 else { throw SystemError.last("fsync", temporary) }
        try FileSystem.rename(temporary, to: assembledPath(upload.id))
        try FileSystem.syncDirectory(uploadDirectory(upload.id))
        return (size, whole.finalize())
    }

    /// Removes an upload and its parts (abort, completion, expiry).
    public func remove(_ id: String) throws {
        guard ResumableUpload.isValidId(id) else { return }
        let path = uploadDirectory(id)
        guard FileSystem.exists(path) else { return }
        for name in try FileSystem.contents(of: path) { try FileSystem.removeFile(path + "/" + name) }
        try FileSystem.removeEmptyDirectory(path)
        try FileSystem.syncDirectory(directory)
    }

    /// Finishes completions a crash interrupted. Called once at start, before any request.
    public func recover(globalLimit: Int) throws -> (completed: Int, failed: Int) {
        var completed = 0
        var failed = 0
        for upload in try all() where upload.completion != nil {
            do {
                _ = try finish(upload, globalLimit: globalLimit)
                completed += 1
            } catch {
                failed += 1
            }
        }
        return (completed, failed)
    }

    /// Removes uploads older than `abandonedAfterSeconds` (not being completed), and directories without a
    /// manifest (a creation a crash cut short).
    @discardableResult
    public func sweep(now: Double) throws -> Int {
        var removed = 0
        for name in try FileSystem.contents(of: directory) where ResumableUpload.isValidId(name) {
            let upload = try? upload(name)
            if let upload, upload.completion != nil || now - upload.createdAt < Self.abandonedAfterSeconds { continue }
            guard claim(name) else { continue }
            defer { release(name) }
            if upload == nil, let status = try FileSystem.status(uploadDirectory(name)), now - status.modificationTime < 3600 { continue }
            try remove(name)
            removed += 1
        }
        return removed
    }
}

/// An S3 multipart upload as its manifest records it.
public struct MultipartUpload: Codable, Sendable, Equatable {
    public struct Completion: Codable, Sendable, Equatable {
        public struct Part: Codable, Sendable, Equatable {
            public let number: Int
            public let sha256: String
        }

        public let version: String
        public let parts: [Part]

        /// The parts a `CompleteMultipartUpload` names, checked as S3 checks them: at least one, in ascending
        /// order of number, each one `isHeld` says the upload holds with that ETag (its SHA-256).
        public static func parts(_ chosen: [(number: Int, sha256: String)], isHeld: (Int, String) throws -> Bool) throws -> [Part] {
            guard !chosen.isEmpty else { throw S3Error.malformedXML("CompleteMultipartUpload must name at least one part") }
            var previous = 0
            for part in chosen {
                guard part.number > previous else {
                    throw S3Error(
                        400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.")
                }
                previous = part.number
                guard try isHeld(part.number, part.sha256) else {
                    throw S3Error(400, "InvalidPart", "One or more of the specified parts could not be found (part \(part.number)).")
                }
            }
            return chosen.map { Part(number: $0.number, sha256: $0.sha256) }
        }
    }

    public var id: String
    public var bucket: String
    public var key: String
    public var mimeType: String
    public var cacheControl: String
    public var userMetadata: String?
    public var createdAt: Double
    public var completion: Completion?

    public init(id: String, bucket: String, key: String, mimeType: String, cacheControl: String, userMetadata: String?, createdAt: Double) {
        self.id = id
        self.bucket = bucket
        self.key = key
        self.mimeType = mimeType
        self.cacheControl = cacheControl
        self.userMetadata = userMetadata
        self.createdAt = createdAt
    }
}

public struct MultipartPart: Sendable, Equatable {
    public let number: Int
    public let sha256: String
    public let size: Int
    public let modifiedAt: Double

    public init(number: Int, sha256: String, size: Int, modifiedAt: Double) {
        self.number = number
        self.sha256 = sha256
        self.size = size
        self.modifiedAt = modifiedAt
    }
}

/// The steps of completing a multipart upload that the crash test kills at (the publication's own steps are
/// `ObjectWriteStep`s).
public enum MultipartStep: String, CaseIterable, Sendable {
    case planned = "multipart-planned"
    case assembled = "multipart-assembled"
    case cleanedUp = "multipart-cleaned-up"
}

public typealias MultipartStepObserver = @Sendable (MultipartStep) -> Void
