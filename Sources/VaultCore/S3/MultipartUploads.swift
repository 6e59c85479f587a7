/// Where S3 multipart uploads in progress live, so the S3 routes are written once: the data directory's
/// (`EmbeddedMultipartUploads`, over `MultipartUploadStore`) or a cluster's (`ClusterMultipartUploads`: the
/// upload in the catalog, each part a blob, so parts may arrive at different nodes).
///
/// Invariants every implementation keeps: a part's ETag is its SHA-256, and completion publishes exactly the
/// parts named (checked against those bytes), once, under a version planned before publication.
public protocol MultipartUploads: Sendable {
    /// Records a new upload unless `maximumInProgress` are in progress (`ResumableUploadError.tooManyUploads`).
    func create(_ upload: MultipartUpload, maximumInProgress: Int) async throws
    func upload(_ id: String) async throws -> MultipartUpload?
    /// The uploads in progress (not being completed) of `bucket`.
    func uploads(inBucket bucket: String) async throws -> [MultipartUpload]
    /// Stores a staged part as part `number` (replacing an earlier one of that number); its SHA-256, the ETag.
    func putPart(_ staged: StagingFile.Staged, number: Int, of id: String) async throws -> String
    /// The current part of each number, in number order.
    func parts(of id: String) async throws -> [MultipartPart]
    /// Reserves the upload for one completion or abort on this node.
    func claim(_ id: String) -> Bool
    func release(_ id: String)
    /// Completes the upload from the named parts (ascending numbers, each with its ETag); publishes the object.
    func complete(_ id: String, parts: [(number: Int, sha256: String)], globalLimit: Int) async throws -> ObjectRecord
    /// Removes an upload and its parts (abort, completion, abandonment).
    func remove(_ id: String) async throws
    /// Removes abandoned uploads; how many.
    @discardableResult func sweep(now: Double) async throws -> Int
}

/// S3 multipart uploads in the data directory (`MultipartUploadStore`), their blocking work off the pool.
public struct EmbeddedMultipartUploads: MultipartUploads {
    public let store: MultipartUploadStore

    public init(store: MultipartUploadStore) {
        self.store = store
    }

    public func create(_ upload: MultipartUpload, maximumInProgress: Int) async throws {
        let store = store
        try await BlockingIO.run { try store.create(upload, maximumInProgress: maximumInProgress) }
    }

    public func upload(_ id: String) async throws -> MultipartUpload? {
        let store = store
        return try await BlockingIO.run { try store.upload(id) }
    }

    public func uploads(inBucket bucket: String) async throws -> [MultipartUpload] {
        let store = store
        return try await BlockingIO.run { try store.all() }.filter { $0.bucket == bucket && $0.completion == nil }
    }

    public func putPart(_ staged: StagingFile.Staged, number: Int, of id: String) async throws -> String {
        let store = store
        return try await BlockingIO.run { try store.putPart(staged, number: number, of: id) }
    }

    public func parts(of id: String) async throws -> [MultipartPart] {
        let store = store
        return try await BlockingIO.run { try store.parts(of: id) }
    }

    public func claim(_ id: String) -> Bool { store.claim(id) }
    public func release(_ id: String) { store.release(id) }

    public func complete(_ id: String, parts: [(number: Int, sha256: String)], globalLimit: Int) async throws -> ObjectRecord {
        let store = store
        return try await BlockingIO.run { try store.complete(id, parts: parts, globalLimit: globalLimit) }
    }

    public func remove(_ id: String) async throws {
        let store = store
        try await BlockingIO.run { try store.remove(id) }
    }

    @discardableResult
    public func sweep(now: Double) async throws -> Int {
        let store = store
        return try await BlockingIO.run { try store.sweep(now: now) }
    }
}
