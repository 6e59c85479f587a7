/// The steps of removing audio, in order: the record first, then the links, then the directory entries made
/// durable. A crash after the first step leaves at worst unindexed files (fsck quarantines them), never a
/// record that names a missing file. The crash test kills a process at every one of them.
public enum DeletionStep: String, CaseIterable, Sendable {
    /// The index no longer names the reference (or the asset); its files are still on disk.
    case referenceDropped
    /// One book's link to the bytes is gone; the last link frees the bytes.
    case linkRemoved
    /// The book directory's entry removal is durable.
    case removalSynced
}

/// Called at each `DeletionStep`; production passes nil. Fault injection for the crash drill.
public typealias DeletionObserver = @Sendable (DeletionStep) -> Void

/// What a deletion removed, for the admin API's answers and the ledger.
public struct Removal: Sendable, Equatable, Codable {
    /// Books that lost a reference.
    public var books: [String] = []
    /// Hard links removed (one per book file).
    public var links = 0
    /// Assets whose record went because no book referenced them any more.
    public var assetsRemoved = 0
    /// Bytes no longer stored: each removed asset's size once (its last link freed them).
    public var bytesFreed = 0

    public init() {}

    public mutating func add(_ other: Removal) {
        books = Array(Set(books).union(other.books)).sorted()
        links += other.links
        assetsRemoved += other.assetsRemoved
        bytesFreed += other.bytesFreed
    }
}
