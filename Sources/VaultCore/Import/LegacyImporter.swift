import Foundation

/// Brings a legacy `book_audio` table and its files into a data directory without paying for any audio again.
///
/// Each row is planned (`LegacyRowPlan`), then: an asset already stored links the row's book (no file read);
/// otherwise the file is fetched, walked frame by frame (`InspectedMP3`) and published through the store's
/// crash-safe path with the row's creation time and `AssetOrigin.imported`; last the legacy key is kept as an
/// alias. Every step is idempotent, so an import killed anywhere is finished by running it again, and a run
/// over the same rows changes nothing.
///
/// The importer blocks only through `BlockingIO`; it reads the table in pages of `pageSize` rows so that a
/// large table never sits in memory.
public struct LegacyImporter: Sendable {
    public struct Options: Sendable {
        public var table: String
        public var columnMappings: [String]
        /// The bucket the files came from; a leading path segment equal to it is dropped.
        public var bucket: String?
        public var dryRun: Bool
        /// Files larger than this are reported, not read (generated chapters are a few MB).
        public var maximumFileBytes: Int
        public var pageSize: Int
        /// Rows with longer text are refused, as the voice API refuses such a request.
        public var maximumTextCharacters: Int

        public init(
            table: String = "book_audio", columnMappings: [String] = [], bucket: String? = nil, dryRun: Bool = false,
            maximumFileBytes: Int = 64 << 20, pageSize: Int = 256, maximumTextCharacters: Int = SpeechSpec.defaultMaximumTextCharacters
        ) {
            self.maximumTextCharacters = maximumTextCharacters
            self.table = table
            self.columnMappings = columnMappings
            self.bucket = bucket
            self.dryRun = dryRun
            self.maximumFileBytes = maximumFileBytes
            self.pageSize = pageSize
        }
    }

    /// Reported after each row: how far the import is and what became of the row.
    public struct Progress: Sendable {
        public let done: Int
        public let total: Int
        public let rowId: Int
        public let outcome: LegacyImportSummary.Outcome
        public let rejection: LegacyRowPlan.Rejection?
    }

    public enum Failure: Error, CustomStringConvertible {
        case unreadableTable(String, String)
        case columns(LegacyColumnMap.Failure)

        public var description: String {
            switch self {
            case let .unreadableTable(table, reason): "cannot read table '\(table)': \(reason)"
            case let .columns(failure): failure.description
            }
        }
    }

    public let options: Options

    public init(options: Options) {
        self.options = options
    }

    /// The column map for `database`'s table, checked before any row is read.
    public func columnMap(_ database: SQLiteDatabase) throws -> LegacyColumnMap {
        let columns: [String]
        do {
            columns = try database.rows("SELECT name FROM pragma_table_info(?1)", [.text(options.table)]).compactMap { $0.first?.string }
        } catch {
            throw Failure.unreadableTable(options.table, "\(error)")
        }
        guard !columns.isEmpty else { throw Failure.unreadableTable(options.table, "no such table") }
        do { return try LegacyColumnMap(mappings: options.columnMappings, tableColumns: columns) } catch {
            throw Failure.columns(error)
        }
    }

    /// Imports every row of the table into `store` (nil: a dry run into a directory that does not exist yet).
    /// In a dry run nothing is written; the summary says what a real run would do.
    public func run(
        database: SQLiteDatabase, source: any LegacyAudioSource, store: AssetStore?,
        progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> LegacyImportSummary {
        let map = try columnMap(database)
        // Listed first: a source that cannot be read (a wrong key, a wrong bucket) fails here, before any row.
        let inventory = try await source.inventory()
        let total = try database.rows("SELECT count(*) FROM \(LegacyColumnMap.quoted(options.table))").first?.first?.int ?? 0
        var summary = LegacyImportSummary(dryRun: options.dryRun)
        var referenced = Set<String>()
        // In a dry run, assets this run would have published, so later rows of the same audio count as links.
        var plannedAssets: [SHA256Digest: Set<StorageIdentifier>] = [:]
        let fields = map.fields
        let select = map.pageStatement(table: options.table)
        var after = Int.min
        while true {
            let page = try database.rows(select, [.integer(after), .integer(options.pageSize)])
            if page.isEmpty { break }
            for values in page {
                guard let rowId = values.first?.int else { continue }
                after = rowId
                var row: [LegacyField: SQLiteDatabase.Value] = [:]
                for (field, value) in zip(fields, values.dropFirst()) { row[field] = value }
                let plan = LegacyRowPlan.make(
                    LegacyRow(rowId: rowId, values: row), bucket: options.bucket,
                    maximumTextCharacters: options.maximumTextCharacters)
                if case let .success(plan) = plan { referenced.insert(plan.audioPath.description) }
                let outcome: Result<LegacyImportSummary.Outcome, LegacyRowPlan.Rejection>
                switch plan {
                case let .failure(rejection): outcome = .failure(rejection)
                case let .success(plan):
                    outcome = try await importRow(
                        plan, source: source, store: store, planned: &plannedAssets,
                        summary: &summary)
                }
                summary.rows += 1
                switch outcome {
                case let .success(done):
                    summary.count(done)
                    progress(Progress(done: summary.rows, total: total, rowId: rowId, outcome: done, rejection: nil))
                case let .failure(rejection):
                    summary.rejected.append(.init(rowId: rowId, code: rejection.code, message: rejection.message))
                    progress(Progress(done: summary.rows, total: total, rowId: rowId, outcome: .rejected, rejection: rejection))
                }
            }
        }
        summary.unreferencedFiles = inventory.filter { !referenced.contains($0) }
        return summary
    }

    private func importRow(
        _ plan: LegacyRowPlan, source: any LegacyAudioSource, store: AssetStore?,
        planned: inout [SHA256Digest: Set<StorageIdentifier>], summary: inout LegacyImportSummary
    ) async throws -> Result<LegacyImportSummary.Outcome, LegacyRowPlan.Rejection> {
        let hash = plan.contentHash
        let existing = try await BlockingIO.run { try store?.record(for: hash) }
        let dryRun = options.dryRun
        if existing != nil || planned[hash] != nil {
            let books = Set(existing?.bookIds ?? []).union(planned[hash]?.map(\.value) ?? [])
            let outcome: LegacyImportSummary.Outcome = books.contains(plan.bookId.value) ? .alreadyPresent : .linked
            if dryRun {
                planned[hash, default: []].insert(plan.bookId)
            } else if let store {
                try await BlockingIO.run {
                    // `link` repairs a missing book file too, so a second run heals a run killed mid-link.
                    _ = try store.link(hash, to: plan.bookId)
                    try store.index.setAlias(plan.legacyKey, for: hash)
                    try Self.describe(hash, plan, in: store)
                }
            }
            if outcome == .linked { summary.charactersSaved += plan.spec.characterCount }
            return .success(outcome)
        }
        let fetched = try await source.fetch(plan.audioPath, limit: options.maximumFileBytes)
        let mp3: InspectedMP3
        switch fetched {
        case .missing: return .failure(.missingFile(plan.audioPath))
        case .tooLarge: return .failure(.tooLarge(plan.audioPath, limit: options.maximumFileBytes))
        case let .bytes(bytes):
            do { mp3 = try InspectedMP3(bytes) } catch { return .failure(.notMP3(plan.audioPath, "\(error)")) }
        }
        if dryRun || store == nil {
            planned[hash, default: []].insert(plan.bookId)
        } else if let store {
            let metadata = AssetMetadata(spec: plan.spec, origin: .imported)
            let created = plan.createdAt.map { Date(timeIntervalSince1970: $0) } ?? Date()
            try await BlockingIO.run {
                _ = try store.publishTimed(mp3, hash: hash, bookId: plan.bookId, metadata: metadata, now: created)
                try store.index.setAlias(plan.legacyKey, for: hash)
                try Self.describe(hash, plan, in: store)
            }
        }
        summary.bytesImported += mp3.bytes.count
        summary.charactersSaved += plan.spec.characterCount
        return .success(.imported)
    }

    /// The row's chapter, recorded on its book's link (`BookLink`), so imported chapters take their place in the
    /// book's manifest and player; a row without a chapter id says nothing.
    static func describe(_ hash: SHA256Digest, _ plan: LegacyRowPlan, in store: AssetStore) throws {
        guard let chapterId = plan.chapterId, !chapterId.isEmpty else { return }
        try store.index.describe(hash, in: plan.bookId, as: BookLink(chapterId: chapterId))
    }
}
