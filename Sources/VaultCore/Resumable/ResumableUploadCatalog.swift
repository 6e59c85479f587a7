/// The catalog's side of a cluster's TUS uploads (`ClusterResumableUploads`): each upload's record and the
/// parts that hold its bytes so far, each part a blob. Every method is one atomic step for every node.
public protocol ResumableUploadCatalog: Sendable {
    /// Records a new upload unless `maximumInProgress` are in progress (`ResumableUploadError.tooManyUploads`).
    func createUpload(_ upload: ResumableUpload, maximumInProgress: Int) async throws
    func upload(_ id: String) async throws -> ResumableUpload?
    /// Changes an upload's record (its stated length, its commit version) but never its offset; the record as
    /// stored, nil when the upload is gone.
    func updateUpload(_ upload: ResumableUpload) async throws -> ResumableUpload?
    /// Records the part `part` at the upload's offset and advances the offset past it, in one step, provided
    /// the offset is still `part.offset` (else a 409 `TusHeaders.Failure`: another node's bytes came first).
    /// `ensuringBlob` runs under the blob's lock before the part is recorded (as an object's write does).
    func addPart(_ part: ResumablePart, to id: String, ensuringBlob: @escaping @Sendable () async throws -> Void) async throws
        -> ResumableUpload
    /// The upload's parts in offset order.
    func parts(of id: String) async throws -> [ResumablePart]
    /// Removes the upload and its parts; the parts' blobs, for the caller to release.
    func removeUpload(_ id: String) async throws -> [SHA256Digest]
    /// Uploads whose expiry has passed and that are not being committed.
    func expiredUploads(now: Double) async throws -> [String]
    /// Uploads whose every byte is held or whose commit began: what a crash may have left unpublished.
    func uploadsToFinish() async throws -> [ResumableUpload]
}

/// A run of an upload's bytes held as one blob.
public struct ResumablePart: Sendable, Equatable {
    public let offset: Int
    public let size: Int
    public let sha256: SHA256Digest

    public init(offset: Int, size: Int, sha256: SHA256Digest) {
        self.offset = offset
        self.size = size
        self.sha256 = sha256
    }
}
