/// The points between a cluster node's writes where a crash leaves something to find, in order within each
/// kind of write: the crash drill kills a node at each (`vault-crash-drill --cluster yes --kill-at STEP`), and
/// `fsck --cluster` must then find no record without its blob.
public enum ClusterStep: String, CaseIterable, Sendable {
    /// A generation's blob is stored and verified; its record is not written yet.
    case blobStored = "blob-stored"
    /// Its record is committed in the catalog; the node's own copy is not published yet.
    case recordCommitted = "record-committed"
    /// A removal's record is gone from the catalog; its blob is not deleted yet.
    case recordRemoved = "record-removed"
    /// The blob is deleted too; the node's own copy is not removed yet.
    case blobDeleted = "blob-deleted"
    /// A Storage upload's blob is stored and verified; its object record is not written yet.
    case objectBlobStored = "object-blob-stored"
    /// The object's record is committed; the blob of the version it replaced is not released yet.
    case objectRecordCommitted = "object-record-committed"
    /// A Storage removal's records are gone; their blobs are not released yet.
    case objectRecordRemoved = "object-record-removed"
    /// A resumable upload's part is recorded and its offset advanced; the upload goes on.
    case uploadPartRecorded = "upload-part-recorded"
    /// Every byte of a resumable upload is held and the version it will be published under is recorded; the
    /// object is not published yet.
    case uploadCommitPlanned = "upload-commit-planned"
    /// An S3 multipart upload's part is recorded (its blob stored first); the upload goes on.
    case multipartPartRecorded = "multipart-part-recorded"
    /// A multipart completion's plan (version and parts) is recorded; the object is not published yet.
    case multipartCompletionPlanned = "multipart-completion-planned"
}

/// Told each time a node's write reaches a `ClusterStep` (the crash drill's hook; nil in a server).
public typealias ClusterStepObserver = @Sendable (ClusterStep) -> Void
