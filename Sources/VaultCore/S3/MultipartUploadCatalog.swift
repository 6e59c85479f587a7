/// The catalog's side of a cluster's S3 multipart uploads (`ClusterMultipartUploads`): each upload's record and
/// its current part of each number, each part a blob. Every method is one atomic step for every node.
public protocol MultipartUploadCatalog: Sendable {
    /// Records a new upload unless `maximumInProgress` are in progress (`ResumableUploadError.tooManyUploads`).
    func createMultipart(_ upload: MultipartUpload, maximumInProgress: Int) async throws
    func multipart(_ id: String) async throws -> MultipartUpload?
    func multiparts(inBucket bucket: String) async throws -> [MultipartUpload]
    /// Records `part` as the upload's part of its number, replacing an earlier one; the replaced part's blob, if
    /// any. `S3Error.noSuchUpload` when the upload is gone or being completed. `ensuringBlob` runs under the
    /// blob's lock before the part is recorded.
    func putMultipartPart(_ part: MultipartPart, of id: String, ensuringBlob: @escaping @Sendable () async throws -> Void) async throws
        -> SHA256Digest?
    /// The current part of each number, in number order.
    func multipartParts(of id: String) async throws -> [MultipartPart]
    /// Records `completion` unless a completion is recorded already; the upload as stored (nil when gone).
    func planCompletion(_ completion: MultipartUpload.Completion, of id: String) async throws -> MultipartUpload?
    /// Removes the upload and its parts; the parts' blobs, for the caller to release.
    func removeMultipart(_ id: String) async throws -> [SHA256Digest]
    /// Uploads created before `cutoff` and not being completed.
    func abandonedMultiparts(createdBefore cutoff: Double) async throws -> [String]
    /// Uploads whose completion was planned: what a crash may have left unpublished.
    func multipartsToFinish() async throws -> [MultipartUpload]
}
