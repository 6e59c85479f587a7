/// One inconsistency found by fsck.
public struct FsckProblem: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// An index record names a book file that does not exist.
        case missingFile = "missing_file"
        /// The file exists but its size differs from the record.
        case sizeMismatch = "size_mismatch"
        /// The file has the recorded size but other bytes.
        case digestMismatch = "digest_mismatch"
        /// A record cannot be decoded.
        case corruptRecord = "corrupt_record"
        /// A `books` key whose record does not list the book (or does not exist).
        case danglingBookKey = "dangling_book_key"
        /// A record lists a book that has no `books` key.
        case missingBookKey = "missing_book_key"
        /// A well-named file under a book that the index does not reference.
        case unindexedFile = "unindexed_file"
        /// Something under `audio/` that VoiceVault never writes (bad name, not a regular file).
        case strayEntry = "stray_entry"
        /// A leftover temp file from an interrupted publication.
        case temporaryFile = "temporary_file"
        /// The index's byte total (the disk quota's measure) differs from its records' sizes.
        case byteTotalMismatch = "byte_total_mismatch"
    }

    public let kind: Kind
    /// The content hash involved, when there is one.
    public let hash: String?
    /// The path involved, relative to the data directory.
    public let path: String?
    public let detail: String

    /// True for what a crash leaves by design and start-up sweeps: a temp file of an interrupted publication.
    /// Reported, so an operator sees it, but not a problem to act on (fsck exits 0 for it).
    public var isCrashResidue: Bool { kind == .temporaryFile }

    /// True for the problems the crash-safety invariant forbids: an index record whose file is missing, short
    /// or different. Unindexed files and temp files are the allowed residue of a crash.
    public var violatesInvariant: Bool {
        switch kind {
        case .missingFile, .sizeMismatch, .digestMismatch, .corruptRecord, .danglingBookKey, .missingBookKey: true
        case .unindexedFile, .strayEntry, .temporaryFile, .byteTotalMismatch: false
        }
    }
}

/// The outcome of one fsck run.
public struct FsckReport: Sendable, Equatable, Codable {
    public var recordsChecked = 0
    public var filesChecked = 0
    public var problems: [FsckProblem] = []
    /// What `--repair` did, one line per action.
    public var repairs: [String] = []

    public var invariantViolations: Int { problems.filter(\.violatesInvariant).count }
    public var isClean: Bool { problems.isEmpty }
    /// Whether anything besides crash residue was found: what fsck's exit status reports.
    public var needsAttention: Bool { problems.contains { !$0.isCrashResidue } }
}
