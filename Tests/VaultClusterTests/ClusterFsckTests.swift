import Foundation
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// fsck of a cluster's store, against a real PostgreSQL and S3 store: what it finds, what `--repair` does, and
/// the command's exit codes.
@Suite struct ClusterFsckTests {
    static let logger = Logger(label: "cluster-fsck-test")

    @Test func findsAndRepairsWhatBreaksTheRule() async throws {
        let url = try await PostgreSQL.shared().createDatabase()
        let blobs = try await S3BlobStoreTests.store()
        try await withCatalog(url) { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            let catalog = PostgresAssetCatalog(client: client, logger: Self.logger)
            let fsck = ClusterFsck(catalog: catalog, blobs: blobs)
            // A whole asset: clean.
            let bytes = S3BlobStoreTests.bytes(5_000, seed: 1)
            let blob = SHA256Digest.of(bytes)
            try await blobs.put(bytes, sha256: blob)
            var whole = AssetCatalogTests.record("whole", books: ["b"])
            whole.sha256 = blob.hex
            whole.byteSize = bytes.count
            _ = try await catalog.publish(whole, alignment: nil)
            #expect(try await fsck.run(repair: false) == ClusterFsck.Report(recordsChecked: 1, blobsChecked: 1))
            // A blob no record names (a crash between the blob and its record), a record whose blob is gone, and
            // one whose blob has another size.
            let orphan = S3BlobStoreTests.bytes(300, seed: 2)
            try await blobs.put(orphan, sha256: SHA256Digest.of(orphan))
            let missing = AssetCatalogTests.record("missing", books: ["b"])
            _ = try await catalog.publish(missing, alignment: nil)
            var wrongSize = AssetCatalogTests.record("wrong size", books: ["b"])
            let shortBytes = S3BlobStoreTests.bytes(100, seed: 3)
            try await blobs.put(shortBytes, sha256: SHA256Digest.of(shortBytes))
            wrongSize.sha256 = SHA256Digest.of(shortBytes).hex
            wrongSize.byteSize = 101
            _ = try await catalog.publish(wrongSize, alignment: nil)
            let found = try await fsck.run(repair: false)
            #expect(found.recordsChecked == 3 && found.blobsChecked == 3)
            #expect(
                Set(found.problems.map(\.kind)) == [.blobWithoutRecord, .recordWithoutBlob, .blobSizeMismatch]
                    && found.problems.count == 3)
            #expect(found.invariantViolations == 2)
            // Repaired: the unnamed and the damaged blob deleted, the two broken records removed; the whole asset kept.
            let repaired = try await fsck.run(repair: true)
            #expect(repaired.repairs.count == 4, "\(repaired.repairs)")
            #expect(try await fsck.run(repair: false) == ClusterFsck.Report(recordsChecked: 1, blobsChecked: 1))
            #expect(try await catalog.record(for: SHA256Digest.test("whole")) != nil)
            #expect(try await blobs.size(of: blob) == bytes.count)
        }
    }

    /// `voicevault fsck --cluster` with the same environment as `serve`: 0 clean or only a crash's residue (noted,
    /// removed by `--repair`), 2 a record without its blob, 1 repaired.
    @Test func theCommandChecksTheStoreTheEnvironmentNames() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 1)
        #expect(try await testbed.post(VoiceTestbed.requestBody(text: "Checked by fsck."), to: 0).status == 200)
        await testbed.stop()
        let clean = try await ServerProcess.run(["fsck", "--cluster"], environment: testbed.environment)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("checked 1 records and 1 blobs: 0 problems"), "\(clean.output)")
        let seaweed = try await SeaweedFS.shared()
        let blobs = S3BlobStore(
            location: S3Location(endpoint: seaweed.endpoint, bucket: "voicevault-cluster", prefix: testbed.blobPrefix),
            accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey, client: .shared)
        let orphan = S3BlobStoreTests.bytes(64, seed: 9)
        try await blobs.put(orphan, sha256: SHA256Digest.of(orphan))
        let residue = try await ServerProcess.run(["fsck", "--cluster"], environment: testbed.environment)
        #expect(residue.status == 0 && residue.output.contains("note  blob_without_record"), "\(residue.output)")
        let swept = try await ServerProcess.run(["fsck", "--cluster", "--repair"], environment: testbed.environment)
        #expect(swept.status == 0 && swept.output.contains("fixed deleted blob"), "\(swept.output)")
        // A record whose blob is gone breaks the rule: 2, and 1 once repaired.
        let records = try await withCatalog(testbed.catalogURL) { client, _ in
            try await PostgresAssetCatalog(client: client, logger: Self.logger).blobReferences()
        }
        try await blobs.delete(try #require(records.first).blob)
        #expect(try await ServerProcess.run(["fsck", "--cluster"], environment: testbed.environment).status == 2)
        #expect(try await ServerProcess.run(["fsck", "--cluster", "--repair"], environment: testbed.environment).status == 1)
        #expect(try await ServerProcess.run(["fsck", "--cluster"], environment: testbed.environment).status == 0)
    }
}
