/// The steps of publishing audio, in order. Each is a point where a crash must leave the store consistent;
/// the crash test kills a process at every one of them.
///
/// Publication order: temp file in `<data>/tmp` -> fsync -> hard link to `<bookId>/<hash>.mp3` (never
/// overwriting) -> fsync the book directory -> commit the index record -> remove the temp file.
/// Only after `indexCommitted` does the asset exist for readers, and by then its bytes are durable.
public enum PublicationStep: String, CaseIterable, Sendable {
    /// The temp file exists and holds part of the bytes.
    case tempPartiallyWritten
    /// All bytes written, not yet fsynced.
    case tempWritten
    /// The temp file's bytes are durable.
    case tempSynced
    /// The final path links to the bytes; the directory entry may not be durable yet.
    case linked
    /// The directory entry is durable; the index does not know the file yet (an unindexed file).
    case directorySynced
    /// The index record is committed: the asset is published.
    case indexCommitted
    /// The temp name is gone; publication is complete.
    case tempRemoved
}

/// Called at each step; production passes nil. Fault injection for tests and drills, nothing else.
public typealias PublicationObserver = @Sendable (PublicationStep) -> Void
