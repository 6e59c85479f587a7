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

/// `voicevault migrate`: a data directory's assets into a cluster, or the reverse (Docs/OPERATIONS.md,
/// "Moving in and out").
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a data directory's audio into a cluster (PostgreSQL + blobs), or a cluster's into a data directory.",
        discussion: """
            Into a cluster: --to-catalog postgres://... --to-blobs s3://...|file:///... --data-dir DIR.
            Out of one: --from-catalog ... --from-blobs ... --data-dir DIR. S3 keys come from
            VOICEVAULT_BLOB_ACCESS_KEY_ID and VOICEVAULT_BLOB_SECRET_ACCESS_KEY, as for serve. The data directory
            must not be in use (the server stopped); the cluster may be serving. Resumable and idempotent: run it
            again after a stop and it finishes what is missing. Exit status: 0 done; 69 the catalog or the blob
            store cannot be used; 73 the data directory cannot be opened.
            """)

    @OptionGroup var data: DataDirectoryOption

    @Option(help: "The cluster's catalog to copy into (postgres://user:password@host:port/database).")
    var toCatalog: String?
    @Option(help: "The cluster's blob store to copy into (s3://bucket/prefix?endpoint=... or file:///dir).")
    var toBlobs: String?
    @Option(help: "The cluster's catalog to copy out of.")
    var fromCatalog: String?
    @Option(help: "The cluster's blob store to copy out of.")
    var fromBlobs: String?

    @Flag(help: "Print the summary as JSON on standard output.")
    var json = false

    func validate() throws {
        let into = toCatalog != nil || toBlobs != nil
        let outOf = fromCatalog != nil || fromBlobs != nil
        guard into != outOf else { throw ValidationError("give either --to-catalog and --to-blobs, or --from-catalog and --from-blobs") }
        guard into ? (toCatalog != nil && toBlobs != nil) : (fromCatalog != nil && fromBlobs != nil) else {
            throw ValidationError(into ? "--to-catalog and --to-blobs go together" : "--from-catalog and --from-blobs go together")
        }
    }

    func run() async throws {
        let logger = makeLogger(label: "voicevault.migrate", level: "warning")
        let into = toCatalog != nil
        var environment = ProcessInfo.processInfo.environment
        environment[ClusterSettings.catalogVariable] = toCatalog ?? fromCatalog
        environment[ClusterSettings.blobVariable] = toBlobs ?? fromBlobs
        let settings: ClusterSettings
        do {
            guard let read = try ClusterSettings(environment: environment) else { throw ValidationError("no cluster named") }
            settings = read
        } catch let error as ClusterSettings.Invalid {
            throw ValidationError(
                error.description.replacingOccurrences(of: "VOICEVAULT_CATALOG_URL", with: into ? "--to-catalog" : "--from-catalog")
                    .replacingOccurrences(of: "VOICEVAULT_BLOB_URL", with: into ? "--to-blobs" : "--from-blobs"))
        }
        let vault: OpenedVault
        do {
            vault = try OpenedVault(root: data.resolved, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("voicevault migrate: \(error)\n".utf8))
            throw ExitCode(73)
        }
        let client = PostgresClient(configuration: settings.catalog.clientConfiguration, backgroundLogger: logger)
        let blobs = settings.blobStore(httpClient: .shared)
        let migration = ClusterMigration(
            local: vault.store, catalog: PostgresAssetCatalog(client: client, logger: logger), blobs: blobs, logger: logger,
            objects: vault.objects, objectCatalog: PostgresObjectCatalog(client: client, logger: logger))
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json)
        let summary: ClusterMigration.Summary
        do {
            summary = try await client.whileRunning {
                // The cluster's schema, as a node starting would bring it; the bucket too.
                _ = try await CatalogMigrator.migrate(client, logger: logger)
                if let s3 = blobs as? S3BlobStore { try await s3.ensureBucket() }
                let report: @Sendable (Int, Int) -> Void = { done, total in bar.update(label: "assets", done: done, total: total) }
                var summary = try await into ? migration.intoCluster(progress: report) : migration.outOfCluster(progress: report)
                if into {
                    try await migration.bookLinksIntoCluster(&summary)
                    try await migration.aliasesIntoCluster(&summary)
                    try await migration.ledgerIntoCluster(&summary)
                    try await migration.objectsIntoCluster(&summary)
                } else {
                    try await migration.bookLinksOutOfCluster(&summary)
                    try await migration.aliasesOutOfCluster(&summary)
                    try await migration.ledgerOutOfCluster(&summary)
                    try await migration.objectsOutOfCluster(&summary)
                }
                return summary
            }
        } catch {
            bar.finish()
            FileHandle.standardError.write(Data("voicevault migrate: stopped: \(error); run it again to finish\n".utf8))
            throw ExitCode(69)
        }
        bar.finish()
        withExtendedLifetime(vault) {}
        if json {
            try printJSON(summary)
        } else {
            print(
                "\(summary.assets) assets: \(summary.copied) copied (\(summary.bytesCopied) bytes), \(summary.linked) linked into more books, \(summary.alreadyThere) already there"
            )
            print(
                "\(summary.buckets) Storage buckets, \(summary.objects) objects: \(summary.objectsCopied) copied, \(summary.objectsAlreadyThere) already there"
                    + (summary.objectsConflicting > 0
                        ? ", \(summary.objectsConflicting) left alone (the other side holds other bytes under the key)" : ""))
            print("\(summary.bookLinksDescribed) book links given their chapter details")
            print("\(summary.aliases) legacy aliases: \(summary.aliasesCopied) copied")
            print(
                "usage ledger: \(summary.ledgerRows) rows"
                    + (summary.ledgerAlreadyCarried ? ", carried by an earlier run (nothing added)" : " carried"))
        }
    }
}
