/// Where TUS uploads in progress live, so the resumable routes are written once: the data directory's
/// (`EmbeddedResumableUploads`, over `ResumableUploadStore`) or a cluster's (`ClusterResumableUploads`: the
/// upload's state in the catalog, its bytes as part blobs, so an upload begun through one node is resumed
/// through any other).
///
/// Invariant every implementation keeps: an upload's `offset` counts only bytes that are durably held, so an
/// offset a client was told is never more than what is stored; the last byte makes the object exactly once.
public protocol ResumableUploads: Sendable {
    /// Records a new upload with no bytes yet, unless `maximumInProgress` are in progress already
    /// (`ResumableUploadError.tooManyUploads`): counting and creating are one step.
    func create(_ upload: ResumableUpload, maximumInProgress: Int) async throws
    func upload(_ id: String) async throws -> ResumableUpload?
    /// Reserves the upload for one writer on this node; false when another request here holds it. (Writers on
    /// different nodes are kept apart by the offset each one started from: see `ResumableSink.close`.)
    func claim(_ id: String) -> Bool
    func release(_ id: String)
    /// States the length of an upload created with `Upload-Defer-Length`.
    func setLength(_ length: Int, of upload: ResumableUpload) async throws -> ResumableUpload
    /// A writer for one request's bytes, from the upload's offset. Claim the upload first.
    func sink(for upload: ResumableUpload) async throws -> any ResumableSink
    /// Publishes a complete upload's bytes as its object and removes the upload; safe to call again after a
    /// crash at any point.
    func complete(_ upload: ResumableUpload, globalLimit: Int) async throws -> ObjectRecord
    /// Removes an upload and its bytes (termination, expiry).
    func remove(_ id: String) async throws
    /// Removes uploads whose expiry has passed; how many.
    @discardableResult func sweep(now: Double) async throws -> Int
}

/// One request's bytes going into an upload.
public protocol ResumableSink: Sendable {
    /// Appends bytes; they may be counted (made durable and added to the offset) as they go.
    func append(_ bytes: [UInt8]) async throws
    /// Counts every byte appended; the upload as then recorded.
    func close() async throws -> ResumableUpload
    /// Ends without counting bytes appended since the last count (a refused tail); the upload as recorded.
    func closeDiscardingUncounted() async throws -> ResumableUpload
}
