import ArgumentParser
import Foundation
import VaultCore
#if canImport(Glibc)
import Glibc
#endif

/// `voicevault backup DEST`: a consistent, checked copy of the data directory, made while the server runs
/// (Docs/OPERATIONS.md, "Backup and restore").
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the data directory, consistently, while the server runs; the copy is checked by fsck.",
        discussion: """
            DEST must not exist. The copy is built in DEST.partial-<pid> and renamed to DEST only once fsck finds it
            clean. Restore by starting a server on the copy: voicevault serve --data-dir DEST.
            Exit status: 0 the backup is complete; 1 it failed (nothing is at DEST).
            """)

    @OptionGroup var data: DataDirectoryOption

    @Argument(help: "Where the copy goes (a new directory).")
    var destination: String

    @Flag(help: "Print the report as JSON on standard output.")
    var json = false

    func run() throws {
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json)
        let report: DataDirectoryBackup.Report
        do {
            report = try DataDirectoryBackup(source: data.resolved, destination: destination).run { phase, done, total in
                bar.update(label: phase.rawValue, done: done, total: total)
            }
        } catch {
            bar.finish()
            FileHandle.standardError.write(Data("voicevault backup: \(error)\n".utf8))
            throw ExitCode(1)
        }
        bar.finish()
        if json {
            try printJSON(report)
            return
        }
        print(
            "backed up \(report.assets) assets (\(report.audioFiles) book files, \(report.hardLinks) of them hard links) and \(report.objects) Storage objects to \(report.destination)"
        )
        print(
            "\(report.bytesCopied) bytes copied, index \(report.indexBytes) bytes, ledger \(report.ledgerCopied ? "copied" : "absent"), \(String(format: "%.1f", report.seconds)) s; fsck found the copy clean"
        )
        if !report.droppedAssets.isEmpty || !report.droppedObjects.isEmpty {
            print(
                "deleted while the backup ran, so not in it: \(report.droppedAssets.count) assets, \(report.droppedObjects.count) objects")
        }
    }
}
