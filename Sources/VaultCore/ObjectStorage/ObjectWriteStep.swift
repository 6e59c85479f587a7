/// The steps of writing and removing a Storage object, in order, so the crash test can stop a process at each
/// and prove the catalog never names bytes that are missing, short or different.
public enum ObjectWriteStep: String, CaseIterable, Sendable {
    /// The upload's bytes are durable under a temp name in `tmp/` (swept at start).
    case staged
    /// The staged file is renamed to its version file; the directory entry may not be durable yet.
    case renamed
    /// The version file's entry is durable; no record names it yet (an unindexed file, which fsck reports).
    case versionEntrySynced
    /// The record is committed: the object is readable.
    case committed
    /// The replaced version's file is gone: the write is complete.
    case previousRemoved
    /// A removal's records are committed; their files are still there (unindexed until the next step).
    case removalCommitted
}

/// Called at each `ObjectWriteStep`; only the crash test sets one.
public typealias ObjectWriteObserver = @Sendable (ObjectWriteStep) -> Void
