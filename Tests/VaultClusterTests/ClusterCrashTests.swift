import Foundation
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// The crash drill as a cluster node (`vault-crash-drill --cluster yes`) against the real PostgreSQL and S3
/// store, SIGKILLed at every step between a generation's blob, its record and its local copy, and inside
/// removals: after each kill and the node's next start, no record lacks its blob (`fsck --cluster`), the data
/// directory is whole (`fsck`), and the node holds no copy the cluster lacks.
@Suite struct ClusterCrashTests {
    static let logger = Logger(label: "cluster-crash-test")

    static var steps: [String] {
        ClusterStep.allCases.map(\.rawValue) + [
            PublicationStep.tempSynced.rawValue, PublicationStep.indexCommitted.rawValue, DeletionStep.referenceDropped.rawValue,
        ]
    }

    @Test func aNodeKilledAtEveryStepKeepsTheRule() async throws {
        let catalogURL = try await PostgreSQL.shared().createDatabase()
        let seaweed = try await SeaweedFS.shared()
        let prefix = UUID().uuidString.lowercased()
        let environment = [
            "VOICEVAULT_CATALOG_URL": catalogURL,
            "VOICEVAULT_BLOB_URL": "s3://voicevault-cluster/\(prefix)?endpoint=\(seaweed.endpoint.absoluteString)",
            "VOICEVAULT_BLOB_ACCESS_KEY_ID": SeaweedFS.accessKeyID, "VOICEVAULT_BLOB_SECRET_ACCESS_KEY": SeaweedFS.secretAccessKey,
        ]
        let directory = TemporaryDirectory("vv-cluster-crash")
        let data = directory.sub("data")
        let drill = TestPaths.productsDirectory.appendingPathComponent("vault-crash-drill").path
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VOICEVAULT_") }
        env.merge(environment) { $1 }
        var killed = 0
        var stepsKilled: Set<String> = []
        for step in Self.steps {
            for killOn in [1, 3] {
                let run = try await onOwnThread { [env] in
                    try runToCompletion(
                        drill,
                        [
                            "--data-dir", data, "--cluster", "yes", "--count", "30", "--seed", "\(step)-\(killOn)", "--kill-at", step,
                            "--kill-on", "\(killOn)",
                        ],
                        environment: env)
                }
                if run.status == SIGKILL {
                    killed += 1
                    stepsKilled.insert(step)
                } else {
                    #expect(run.status == 0, "\(step) #\(killOn): \(run.output)")
                }
                // The node's next start: the catalog migrated, its copies checked against it.
                let start = try await onOwnThread { [env] in
                    try runToCompletion(drill, ["--data-dir", data, "--cluster", "yes", "--count", "0"], environment: env)
                }
                #expect(start.status == 0, "\(start.output)")
                let cluster = try await ServerProcess.run(["fsck", "--cluster"], environment: environment)
                #expect(cluster.status == 0, "after \(step) #\(killOn): \(cluster.output)")
                // The data directory as on one machine: no record without its file (an unindexed file, which a
                // removal killed between its record and its file leaves, is a warning, not a broken rule).
                let local = try await ServerProcess.run(["fsck", "--data-dir", data])
                #expect([0, 2].contains(local.status) && !local.output.contains("ERROR"), "after \(step) #\(killOn): \(local.output)")
                try await Self.expectLocalCopiesAreTheClusters(data: data, catalogURL: catalogURL)
            }
        }
        #expect(killed >= Self.steps.count, "most runs reached their step: \(killed)")
        #expect(stepsKilled == Set(Self.steps), "steps never reached: \(Set(Self.steps).subtracting(stepsKilled))")
    }

    /// Every record of the node's index is in the catalog, in no book the catalog lacks.
    static func expectLocalCopiesAreTheClusters(data: String, catalogURL: String) async throws {
        let index = try AssetIndex(
            environment: try LMDBEnvironment(directory: DataDirectory(root: data).index, options: .init(readOnly: true)))
        var local: [SHA256Digest: [String]] = [:]
        try index.forEachRecord { record in
            if let hash = SHA256Digest(hex: record.contentHash) { local[hash] = record.bookIds }
        }
        let known = try await withCatalog(catalogURL) { client, _ in
            try await PostgresAssetCatalog(client: client, logger: Self.logger).books(of: Array(local.keys))
        }
        for (hash, books) in local {
            let catalogBooks = try #require(known[hash], "a local copy of \(hash.hex) the cluster lacks")
            #expect(Set(books).isSubset(of: catalogBooks), "\(hash.hex): local \(books), catalog \(catalogBooks)")
        }
    }
}

/// The jobs' bookkeeping in the cluster's catalog, killed inside each item's transaction and after its commit
/// (`vault-crash-drill --cluster yes --jobs yes`): as on one machine, every item reported finished stays
/// finished, the finished items are a prefix of the job with their own values, and a last run finishes it.
@Suite struct ClusterJobsCrashTests {
    @Test func jobBookkeepingInTheCatalogKilledAnywhereLosesNoFinishedItem() async throws {
        let catalogURL = try await PostgreSQL.shared().createDatabase()
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VOICEVAULT_") }
        env["VOICEVAULT_CATALOG_URL"] = catalogURL
        // Held for the whole test: released at once, they would be removed and then made again by the drill.
        let blobs = TemporaryDirectory("vv-cluster-jobs-blobs")
        let directory = TemporaryDirectory("vv-cluster-jobs-crash")
        env["VOICEVAULT_BLOB_URL"] = "file://" + blobs.path
        let data = directory.sub("data")
        let drill = TestPaths.productsDirectory.appendingPathComponent("vault-crash-drill").path
        var acknowledged = -1
        func check(_ context: String) async throws {
            let rows = try await withCatalog(catalogURL) { client, _ -> [(Int, String, Int?)] in
                let result = try await client.query(
                    "SELECT seq, state, characters FROM job_items WHERE job_id = 'drill-job' ORDER BY seq",
                    logger: ClusterCrashTests.logger)
                var rows: [(Int, String, Int?)] = []
                for try await row in result.decode((Int, String, Int?).self) { rows.append(row) }
                return rows
            }
            #expect(rows.count == 40, "\(context)")
            let finished = rows.filter { $0.1 != "pending" }
            #expect(finished.map(\.0) == Array(0..<finished.count), "\(context): finished items are not a prefix")
            for (seq, state, characters) in finished {
                #expect(state == (seq % 2 == 0 ? "generated" : "cached") && characters == seq, "\(context): item \(seq) is half-recorded")
            }
            #expect(finished.count > acknowledged, "\(context): item \(acknowledged) was reported finished and is not")
        }
        var kills = 0
        for step in JobWriteStep.allCases {
            for occurrence in [1, 2, 3] {
                let run = try await onOwnThread { [env] in
                    try runToCompletion(
                        drill,
                        [
                            "--data-dir", data, "--cluster", "yes", "--jobs", "yes", "--kill-at", step.rawValue, "--kill-on",
                            "\(occurrence)",
                        ],
                        environment: env)
                }
                for line in run.output.split(separator: "\n") where line.hasPrefix("finished ") {
                    acknowledged = max(acknowledged, Int(line.dropFirst("finished ".count)) ?? -1)
                }
                if run.status == SIGKILL { kills += 1 }
                try await check("after \(step.rawValue) #\(occurrence)")
            }
        }
        let last = try await onOwnThread { [env] in
            try runToCompletion(drill, ["--data-dir", data, "--cluster", "yes", "--jobs", "yes"], environment: env)
        }
        #expect(last.status == 0, "\(last.output)")
        acknowledged = 39
        try await check("after the last run")
        #expect(kills == JobWriteStep.allCases.count * 3)
        withExtendedLifetime((blobs, directory)) {}
    }
}
