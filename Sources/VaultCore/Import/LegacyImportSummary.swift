/// What an import did, row by row in counts, and every row it could not import with its reason.
public struct LegacyImportSummary: Sendable, Equatable, Codable {
    /// What became of one row.
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// Its audio was published as a new asset.
        case imported
        /// The asset already existed (another row, another book, or generated since); the row's book was linked
        /// to it, so nothing was read or stored twice.
        case linked
        /// The asset was already in the row's book: a second run of the same import.
        case alreadyPresent = "already_present"
        case rejected
    }

    public struct RejectedRow: Sendable, Equatable, Codable {
        public let rowId: Int
        public let code: String
        public let message: String
    }

    public var rows = 0
    public var imported = 0
    public var linked = 0
    public var alreadyPresent = 0
    public var rejected: [RejectedRow] = []
    /// Bytes of audio published by this run.
    public var bytesImported = 0
    /// Characters of the imported and linked rows' text: what generating them again would have cost.
    public var charactersSaved = 0
    /// Files in the source that no row names: audio without text cannot be keyed, so it stays behind.
    public var unreferencedFiles: [String] = []
    public var dryRun = false

    public init(dryRun: Bool = false) {
        self.dryRun = dryRun
    }

    /// Rejections counted by code, for the summary line.
    public var rejectedByCode: [(code: String, count: Int)] {
        Dictionary(grouping: rejected, by: \.code).map { ($0.key, $0.value.count) }.sorted { $0.code < $1.code }
    }

    mutating func count(_ outcome: Outcome) {
        switch outcome {
        case .imported: imported += 1
        case .linked: linked += 1
        case .alreadyPresent: alreadyPresent += 1
        case .rejected: break
        }
    }
}
