import Foundation

/// TUS uploads on a cluster node: each upload's record in the catalog, each run of bytes a `PATCH` brought a
/// part blob, so an upload begun through one node is resumed through any other. The last part assembles the
/// parts, in order and verified, into a staged file on the completing node and publishes it as the object
/// (`ClusterObjectStore`) under a version recorded first, so a completion a crash interrupted is finished (at
/// a node's start) and never published twice.
///
/// Two nodes writing one upload at once: each stages its bytes from the offset it started at; the first to
/// record its part wins and the other is refused with 409 (its part blob released), as TUS says.
public final class ClusterResumableUploads: ResumableUploads {
    let catalog: any ResumableUploadCatalog
    let objects: ClusterObjectStore
    let blobs: any BlobStore
    /// Where this node stages bytes (its data directory).
    let staging: DataDirectory
    /// Told each `ClusterStep` of an upload (the crash drill's hook; nil in a server).
    let observer: ClusterStepObserver?
    private let claimed = LockedSet()

    public init(
        catalog: any ResumableUploadCatalog, objects: ClusterObjectStore, blobs: any BlobStore, staging: DataDirectory,
        observer: ClusterStepObserver? = nil
    ) {
        self.catalog = catalog
        self.objects = objects
        self.blobs = blobs
        self.staging = staging
        self.observer = observer
    }

    public func create(_ upload: ResumableUpload, maximumInProgress: Int) async throws {
        try await catalog.createUpload(upload, maximumInProgress: maximumInProgress)
    }

    public func upload(_ id: String) async throws -> ResumableUpload? {
        guard ResumableUpload.isValidId(id) else { return nil }
        return try await catalog.upload(id)
    }

    public func claim(_ id: String) -> Bool { claimed.insert(id) }
    public func release(_ id: String) { claimed.remove(id) }

    public func setLength(_ length: Int, of upload: ResumableUpload) async throws -> ResumableUpload {
        var changed = upload
        changed.length = length
        guard let stored = try await catalog.updateUpload(changed) else { throw ResumableUploadError.unreadableManifest(upload.id) }
        return stored
    }

    public func sink(for upload: ResumableUpload) async throws -> any ResumableSink {
        try PartBlobSink(uploads: self, upload: upload)
    }

    /// Stages `file` (finished, `size` bytes, digest `sha256`) as the part at `offset` of upload `id`.
    func addPart(file: String, offset: Int, size: Int, sha256: SHA256Digest, to id: String) async throws -> ResumableUpload {
        let blobs = blobs
        try await blobs.put(file: file, size: size, sha256: sha256)
        do {
            let upload = try await catalog.addPart(ResumablePart(offset: offset, size: size, sha256: sha256), to: id) {
                guard try await blobs.size(of: sha256) != size else { return }
                try await blobs.put(file: file, size: size, sha256: sha256)
            }
            observer?(.uploadPartRecorded)
            return upload
        } catch {
            await objects.release(blob: sha256)  // the part was not recorded: its blob names nothing
            throw error
        }
    }

    public func complete(_ upload: ResumableUpload, globalLimit: Int) async throws -> ObjectRecord {
        var upload = upload
        if upload.commitVersion == nil {
            upload.commitVersion = UUID().uuidString.lowercased()
            guard let stored = try await catalog.updateUpload(upload) else { throw ResumableUploadError.unreadableManifest(upload.id) }
            upload = stored
            observer?(.uploadCommitPlanned)
        }
        guard let version = upload.commitVersion else { throw ResumableUploadError.unreadableManifest(upload.id) }
        if let current = try await objects.catalog.object(bucket: upload.bucket, key: upload.key), current.version == version {
            try await remove(upload.id)  // published before a crash; only the clean-up is left
            return current
        }
        let file = try StagingFile(directory: staging, limit: upload.length ?? 0)
        defer { file.discard() }
        var expected = 0
        for part in try await catalog.parts(of: upload.id) {
            guard part.offset == expected, let bytes = try await blobs.read(part.sha256, range: nil), bytes.count == part.size,
                SHA256Digest.of(bytes) == part.sha256
            else {
                throw ResumableUploadError.partSizeMismatch(id: upload.id, expected: upload.length ?? 0, found: expected)
            }
            try await BlockingIO.run { try file.append(bytes) }
            expected += part.size
        }
        guard expected == upload.length else {
            throw ResumableUploadError.partSizeMismatch(id: upload.id, expected: upload.length ?? 0, found: expected)
        }
        let staged = try await BlockingIO.run { try file.finish() }
        let record: ObjectRecord
        do {
            record = try await objects.put(
                staged: staged, mimeType: upload.mimeType, cacheControl: upload.cacheControl, userMetadata: upload.userMetadata,
                bucket: upload.bucket, key: upload.key, upsert: upload.upsert, globalLimit: globalLimit, version: version)
        } catch let error as StorageCatalogError {
            // The object cannot be published (its key was taken meanwhile, the bucket went): the upload is over.
            try? await remove(upload.id)
            throw error
        }
        try await remove(upload.id)
        return record
    }

    public func remove(_ id: String) async throws {
        for blob in Set(try await catalog.removeUpload(id)) { await objects.release(blob: blob) }
    }

    @discardableResult
    public func sweep(now: Double) async throws -> Int {
        var removed = 0
        for id in try await catalog.expiredUploads(now: now) where claim(id) {
            defer { release(id) }
            try await remove(id)
            removed += 1
        }
        return removed
    }

    /// Finishes the completions a crash interrupted (called at a node's start); how many were finished and
    /// how many could not be.
    public func recover(globalLimit: Int) async throws -> (completed: Int, failed: Int) {
        await claimed.finishEach(try await catalog.uploadsToFinish(), id: \.id) { _ = try await complete($0, globalLimit: globalLimit) }
    }

    /// One request's bytes staged on this node's disk and recorded as a part every
    /// `ResumableUploadStore.checkpointBytes` and at the end, each from the offset the last one left.
    final class PartBlobSink: ResumableSink, @unchecked Sendable {
        // @unchecked: used by the one request that claimed the upload, one call at a time.
        let uploads: ClusterResumableUploads
        private var upload: ResumableUpload
        private var file: StagingFile

        init(uploads: ClusterResumableUploads, upload: ResumableUpload) throws {
            self.uploads = uploads
            self.upload = upload
            file = try StagingFile(directory: uploads.staging, limit: .max)
        }

        func append(_ bytes: [UInt8]) async throws {
            let file = file
            try await BlockingIO.run { try file.append(bytes) }
            if file.byteCount >= ResumableUploadStore.checkpointBytes { _ = try await count() }
        }

        /// Records what is staged as a part and starts a new staging file.
        private func count() async throws -> ResumableUpload {
            let file = file
            guard file.byteCount > 0 else { return upload }
            defer { file.discard() }
            let staged = try await BlockingIO.run { try file.finish() }
            upload = try await uploads.addPart(
                file: staged.path, offset: upload.offset, size: staged.size, sha256: staged.sha256, to: upload.id)
            self.file = try StagingFile(directory: uploads.staging, limit: .max)
            return upload
        }

        func close() async throws -> ResumableUpload {
            defer { file.discard() }
            return try await count()
        }

        func closeDiscardingUncounted() async throws -> ResumableUpload {
            file.discard()
            return upload
        }
    }
}
