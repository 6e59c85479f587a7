import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import PostgresNIO
import VaultCluster
import VaultCore
#if canImport(Glibc)
import Glibc
#endif

struct FsckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check that every index record has its file, whole, and every file is indexed.",
        discussion: """
            Exit status: 0 clean, or only the temp files an interrupted publication leaves (a crash leaves them
            by design; start-up and --repair remove them); 1 problems found and repaired; 2 problems found (run
            with --repair); 73 the data directory cannot be opened (for example, a server is using it).
            With --cluster, the cluster's store named by VOICEVAULT_CATALOG_URL and VOICEVAULT_BLOB_URL (and its
            keys) is checked instead: every record's blob there with the record's size, and blobs no record names;
            69 when the catalog or the blob store cannot be reached.
            """)

    @OptionGroup var data: DataDirectoryOption

    @Flag(help: "Drop dangling index references and move unindexed or mismatched files to <data>/quarantine/.")
    var repair = false

    @Flag(help: "Print the report as JSON on standard output.")
    var json = false

    @Flag(help: "Check the cluster's catalog and blob store (VOICEVAULT_CATALOG_URL, VOICEVAULT_BLOB_URL) instead of a data directory.")
    var cluster = false

    func run() async throws {
        if cluster { return try await checkCluster() }
        let logger = makeLogger(label: "voicevault.fsck", level: "warning")
        let vault: OpenedVault
        do {
            vault = try OpenedVault(root: data.resolved, sweepTemporaryFiles: false, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("voicevault fsck: \(error)\n".utf8))
            throw ExitCode(73)
        }
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json)
        let report = try Fsck(store: vault.store).run(repair: repair) { phase, done, total in
            bar.update(label: phase.rawValue, done: done, total: total)
        }
        bar.finish()
        if json {
            try printJSON(report)
        } else {
            for problem in report.problems {
                let label = problem.violatesInvariant ? "ERROR" : problem.isCrashResidue ? "note " : "warn "
                print("\(label) \(problem.kind.rawValue) \(problem.path ?? problem.hash ?? ""): \(problem.detail)")
            }
            for line in report.repairs { print("fixed \(line)") }
            print(
                "checked \(report.recordsChecked) records and \(report.filesChecked) files: \(report.problems.count) problems (\(report.invariantViolations) index records without a correct file)"
            )
        }
        guard report.needsAttention else { return }
        throw ExitCode(repair ? 1 : 2)
    }
}

/// A one-line progress bar on a terminal; silent when output is not a terminal. Safe to update from any
/// thread (the lock guards the last line drawn).
final class ProgressBar: @unchecked Sendable {
    let enabled: Bool
    private var lastDrawn = ""
    private let lock = NSLock()

    init(enabled: Bool) { self.enabled = enabled }

    func update(label: String, done: Int, total: Int) {
        guard enabled, total > 0 else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let line =
            "\r\(label.padding(toLength: 8, withPad: " ", startingAt: 0)) ["
            + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(done * 100 / total)% \(done)/\(total)"
        lock.withLock {
            guard line != lastDrawn else { return }
            lastDrawn = line
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    func finish() {
        lock.withLock {
            if enabled, !lastDrawn.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}

extension FsckCommand {
    /// `fsck --cluster`: `ClusterFsck` against the store the environment names, as `serve` would.
    func checkCluster() async throws {
        let logger = makeLogger(label: "voicevault.fsck", level: "warning")
        let settings: ClusterSettings
        do {
            guard let read = try ClusterSettings(environment: ProcessInfo.processInfo.environment) else {
                throw ValidationError("--cluster needs VOICEVAULT_CATALOG_URL and VOICEVAULT_BLOB_URL")
            }
            settings = read
        } catch let error as ClusterSettings.Invalid {
            throw ValidationError(error.description)
        }
        let client = PostgresClient(configuration: settings.catalog.clientConfiguration, backgroundLogger: logger)
        let fsck = ClusterFsck(
            catalog: PostgresAssetCatalog(client: client, logger: logger), objects: PostgresObjectCatalog(client: client, logger: logger),
            blobs: settings.blobStore(httpClient: .shared))
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json)
        let repair = repair
        let report: ClusterFsck.Report
        do {
            report = try await client.whileRunning {
                try await fsck.run(repair: repair) { phase, done, total in bar.update(label: phase, done: done, total: total) }
            }
        } catch {
            bar.finish()
            FileHandle.standardError.write(Data("voicevault fsck: the cluster's store cannot be checked: \(error)\n".utf8))
            throw ExitCode(69)
        }
        bar.finish()
        if json {
            try printJSON(report)
        } else {
            for problem in report.problems {
                print(
                    "\(problem.isCrashResidue ? "note " : "ERROR") \(problem.kind.rawValue) \(problem.hash ?? problem.blob): \(problem.detail)"
                )
            }
            for line in report.repairs { print("fixed \(line)") }
            print(
                "checked \(report.recordsChecked) records and \(report.blobsChecked) blobs: \(report.problems.count) problems (\(report.invariantViolations) records without their blob)"
            )
        }
        guard report.needsAttention else { return }
        throw ExitCode(repair ? 1 : 2)
    }
}
