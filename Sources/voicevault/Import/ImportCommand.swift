import ArgumentParser
import AsyncHTTPClient
import Foundation
import VaultCore
#if canImport(Glibc)
import Glibc
#endif

/// `voicevault import`: the old app's `book_audio` rows and their files into a data directory, every row that
/// can be keyed imported once and none paid for again (Docs/OPERATIONS.md, "Importing legacy audio").
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a legacy book_audio table and its MP3 files without generating anything.",
        discussion: """
            Fields and their default column names: \(LegacyField.allCases.map(\.rawValue).joined(separator: ", ")).
            Map another name with --column FIELD=COLUMN (repeatable). Files come from --files DIR or from a
            Storage bucket (--from-storage URL --bucket NAME, key in --key or VOICEVAULT_IMPORT_KEY).
            Exit status: 0 every row imported or already present; 2 finished, some rows not imported (listed);
            1 the import could not run; 73 the data directory is in use (stop the server first).
            """)

    @OptionGroup var data: DataDirectoryOption

    @Option(name: .customLong("sqlite"), help: "The legacy SQLite database.")
    var database: String

    @Option(help: "The legacy table.")
    var table = "book_audio"

    @Option(name: .customLong("column"), help: "FIELD=COLUMN: read FIELD from another column name.")
    var columns: [String] = []

    @Option(help: "Directory holding the legacy files as the bucket had them.")
    var files: String?

    @Option(name: .customLong("from-storage"), help: "Supabase Storage URL (project or …/storage/v1) to download from.")
    var storageURL: String?

    @Option(help: "The bucket the legacy paths are in (dropped from their front; required with --from-storage).")
    var bucket: String?

    @Option(help: "Storage key for --from-storage (env VOICEVAULT_IMPORT_KEY).")
    var key: String?

    @Option(
        name: .customLong("max-text-chars"),
        help: "Refuse rows with longer text, as the server does (env VOICEVAULT_MAX_TEXT_CHARS; default 200000).")
    var maximumTextCharacters: Int?

    @Flag(name: .customLong("dry-run"), help: "Read and check everything, write nothing, and say what would happen.")
    var dryRun = false

    @Flag(help: "Print the summary as JSON on standard output.")
    var json = false

    func validate() throws {
        if (files == nil) == (storageURL == nil) { throw ValidationError("give exactly one of --files DIR and --from-storage URL") }
        if storageURL != nil, bucket == nil { throw ValidationError("--from-storage needs --bucket") }
        if storageURL != nil, (key ?? Environment.value("VOICEVAULT_IMPORT_KEY")) == nil {
            throw ValidationError("--from-storage needs --key or VOICEVAULT_IMPORT_KEY")
        }
    }

    func run() async throws {
        let legacy: SQLiteDatabase
        do {
            guard FileManager.default.isReadableFile(atPath: database) else { throw ValidationError("cannot read \(database)") }
            legacy = try SQLiteDatabase(path: database, readOnly: true)
        } catch {
            FileHandle.standardError.write(Data("voicevault import: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let limit =
            try maximumTextCharacters
            ?? Environment.integer("VOICEVAULT_MAX_TEXT_CHARS", default: SpeechSpec.defaultMaximumTextCharacters, minimum: 1)
        let importer = LegacyImporter(
            options: .init(
                table: table, columnMappings: columns, bucket: bucket, dryRun: dryRun,
                maximumTextCharacters: limit))
        // The columns are checked before the data directory is touched: a typo costs nothing.
        do { _ = try importer.columnMap(legacy) } catch {
            FileHandle.standardError.write(Data("voicevault import: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var vault: OpenedVault?
        if !dryRun || FileManager.default.fileExists(atPath: data.resolved) {
            do {
                vault = try OpenedVault(root: data.resolved, logger: makeLogger(label: "voicevault.import", level: "warning"))
            } catch {
                FileHandle.standardError.write(Data("voicevault import: \(error)\n".utf8))
                throw ExitCode(73)
            }
        }
        var client: HTTPClient?
        let source: any LegacyAudioSource
        if let storageURL, let bucket {
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            client = http
            source = StorageBucketSource(
                client: http, url: storageURL, bucket: bucket,
                key: key ?? Environment.value("VOICEVAULT_IMPORT_KEY") ?? "")
        } else {
            source = LegacyDirectorySource(root: files ?? ".")
        }
        let reporter = ImportProgressReporter(onTerminal: isatty(STDERR_FILENO) == 1 && !json)
        let summary: LegacyImportSummary
        do {
            summary = try await importer.run(database: legacy, source: source, store: vault?.store) { reporter.report($0) }
            try await client?.shutdown()
        } catch {
            try? await client?.shutdown()
            reporter.finish()
            FileHandle.standardError.write(Data("voicevault import: \(error)\n".utf8))
            throw ExitCode(1)
        }
        reporter.finish()
        if json {
            try printJSON(summary)
        } else {
            for line in ImportProgressReporter.summaryLines(summary) { print(line) }
        }
        withExtendedLifetime(vault) {}
        if !summary.rejected.isEmpty { throw ExitCode(2) }
    }
}

/// Progress of an import on standard error: a bar on a terminal, otherwise one plain line per row that was not
/// simply imported, and a line every 1,000 rows (for logs, where a bar would be noise).
final class ImportProgressReporter: Sendable {
    let onTerminal: Bool
    private let bar: ProgressBar

    init(onTerminal: Bool) {
        self.onTerminal = onTerminal
        bar = ProgressBar(enabled: onTerminal)
    }

    func report(_ progress: LegacyImporter.Progress) {
        if onTerminal {
            bar.update(label: "import", done: progress.done, total: progress.total)
            return
        }
        if let rejection = progress.rejection {
            FileHandle.standardError.write(Data("row \(progress.rowId): not imported: \(rejection)\n".utf8))
        }
        if progress.done % 1000 == 0 || progress.done == progress.total {
            FileHandle.standardError.write(Data("read \(progress.done) of \(progress.total) rows\n".utf8))
        }
    }

    func finish() { bar.finish() }

    static func summaryLines(_ summary: LegacyImportSummary) -> [String] {
        var lines: [String] = []
        if summary.dryRun { lines.append("dry run: nothing was written") }
        for row in summary.rejected { lines.append("row \(row.rowId): \(row.code): \(row.message)") }
        let verb = summary.dryRun ? "would import" : "imported"
        var counts =
            "\(summary.rows) rows: \(verb) \(summary.imported), linked \(summary.linked) to audio already stored, "
            + "\(summary.alreadyPresent) already present, \(summary.rejected.count) not imported"
        if !summary.rejected.isEmpty {
            counts += " (" + summary.rejectedByCode.map { "\($0.code) \($0.count)" }.joined(separator: ", ") + ")"
        }
        lines.append(counts)
        lines.append("\(summary.bytesImported) bytes of audio; \(summary.charactersSaved) characters that will not be paid for again")
        if !summary.unreferencedFiles.isEmpty {
            lines.append(
                "\(summary.unreferencedFiles.count) files no row names (not imported): "
                    + summary.unreferencedFiles.prefix(5).joined(separator: ", ") + (summary.unreferencedFiles.count > 5 ? ", …" : ""))
        }
        return lines
    }
}
