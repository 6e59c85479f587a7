import Foundation

/// S3 multipart uploads on a cluster node: each upload's record in the catalog, each part a blob, so the parts
/// of one upload may be sent to different nodes. Completion records its plan (version and parts) first, then
/// reads the named parts back in order, each checked against its ETag (its SHA-256), into a staged file on the
/// completing node, and publishes it through `ClusterObjectStore` under the planned version; a completion a
/// crash interrupted is finished at a node's start and never published twice.
public final class ClusterMultipartUploads: MultipartUploads {
    let catalog: any MultipartUploadCatalog
    let objects: ClusterObjectStore
    let blobs: any BlobStore
    let staging: DataDirectory
    /// Told each `ClusterStep` of an upload (the crash drill's hook; nil in a server).
    let observer: ClusterStepObserver?
    private let claimed = LockedSet()

    public init(
        catalog: any MultipartUploadCatalog, objects: ClusterObjectStore, blobs: any BlobStore, staging: DataDirectory,
        observer: ClusterStepObserver? = nil
    ) {
        self.catalog = catalog
        self.objects = objects
        self.blobs = blobs
        self.staging = staging
        self.observer = observer
    }

    public func create(_ upload: MultipartUpload, maximumInProgress: Int) async throws {
        try await catalog.createMultipart(upload, maximumInProgress: maximumInProgress)
    }

    public func upload(_ id: String) async throws -> MultipartUpload? {
        guard ResumableUpload.isValidId(id) else { return nil }
        return try await catalog.multipart(id)
    }

    public func uploads(inBucket bucket: String) async throws -> [MultipartUpload] {
        try await catalog.multiparts(inBucket: bucket)
    }

    public func putPart(_ staged: StagingFile.Staged, number: Int, of id: String) async throws -> String {
        let blobs = blobs
        try await blobs.put(file: staged.path, size: staged.size, sha256: staged.sha256)
        let part = MultipartPart(number: number, sha256: staged.sha256.hex, size: staged.size, modifiedAt: Date().timeIntervalSince1970)
        let replaced: SHA256Digest?
        do {
            replaced = try await catalog.putMultipartPart(part, of: id) {
                guard try await blobs.size(of: staged.sha256) != staged.size else { return }
                try await blobs.put(file: staged.path, size: staged.size, sha256: staged.sha256)
            }
        } catch {
            await objects.release(blob: staged.sha256)  // not recorded: the blob names nothing
            throw error
        }
        observer?(.multipartPartRecorded)
        if let replaced, replaced != staged.sha256 { await objects.release(blob: replaced) }
        return staged.sha256.hex
    }

    public func parts(of id: String) async throws -> [MultipartPart] {
        try await catalog.multipartParts(of: id)
    }

    public func claim(_ id: String) -> Bool { claimed.insert(id) }
    public func release(_ id: String) { claimed.remove(id) }

    public func complete(_ id: String, parts chosen: [(number: Int, sha256: String)], globalLimit: Int) async throws -> ObjectRecord {
        guard var upload = try await catalog.multipart(id) else { throw S3Error.noSuchUpload }
        if upload.completion == nil {
            let held = Dictionary(try await catalog.multipartParts(of: id).map { ($0.number, $0.sha256) }) { $1 }
            let parts = try MultipartUpload.Completion.parts(chosen) { number, sha256 in held[number] == sha256 }
            let plan = MultipartUpload.Completion(version: UUID().uuidString.lowercased(), parts: parts)
            guard let planned = try await catalog.planCompletion(plan, of: id) else { throw S3Error.noSuchUpload }
            upload = planned
            observer?(.multipartCompletionPlanned)
        }
        return try await finish(upload, globalLimit: globalLimit)
    }

    /// Carries a planned completion through from wherever it stopped.
    func finish(_ upload: MultipartUpload, globalLimit: Int) async throws -> ObjectRecord {
        guard let plan = upload.completion else { throw S3Error.noSuchUpload }
        if let current = try await objects.catalog.object(bucket: upload.bucket, key: upload.key), current.version == plan.version {
            try await remove(upload.id)
            return current
        }
        let file = try StagingFile(directory: staging, limit: .max)
        defer { file.discard() }
        for part in plan.parts {
            guard let blob = SHA256Digest(hex: part.sha256), let bytes = try await blobs.read(blob, range: nil),
                SHA256Digest.of(bytes) == blob
            else { throw S3Error(400, "InvalidPart", "part \(part.number) does not hold the bytes its ETag names") }
            try await BlockingIO.run { try file.append(bytes) }
        }
        let staged = try await BlockingIO.run { try file.finish() }
        let record: ObjectRecord
        do {
            record = try await objects.put(
                staged: staged, mimeType: upload.mimeType, cacheControl: upload.cacheControl, userMetadata: upload.userMetadata,
                bucket: upload.bucket, key: upload.key, upsert: true, globalLimit: globalLimit, version: plan.version)
        } catch let error as StorageCatalogError {
            try? await remove(upload.id)  // the bucket went: the upload is over
            throw error
        } catch let error as ObjectStore.Failure {
            try? await remove(upload.id)  // too large or a type the bucket refuses: the upload is over
            throw error
        }
        try await remove(upload.id)
        return record
    }

    public func remove(_ id: String) async throws {
        for blob in Set(try await catalog.removeMultipart(id)) { await objects.release(blob: blob) }
    }

    @discardableResult
    public func sweep(now: Double) async throws -> Int {
        var removed = 0
        for id in try await catalog.abandonedMultiparts(createdBefore: now - MultipartUploadStore.abandonedAfterSeconds) where claim(id) {
            defer { release(id) }
            try await remove(id)
            removed += 1
        }
        return removed
    }

    /// Finishes the completions a crash interrupted (called at a node's start).
    public func recover(globalLimit: Int) async throws -> (completed: Int, failed: Int) {
        await claimed.finishEach(try await catalog.multipartsToFinish(), id: \.id) { _ = try await finish($0, globalLimit: globalLimit) }
    }
}
