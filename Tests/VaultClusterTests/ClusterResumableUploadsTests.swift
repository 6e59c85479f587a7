import Foundation
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// A cluster's TUS uploads in process (`ClusterResumableUploads` over PostgreSQL and a blob directory): two
/// writers from one offset never both count, completion publishes once and releases the parts, a completion a
/// crash interrupted is finished by recovery, and expiry releases what an abandoned upload held.
@Suite struct ClusterResumableUploadsTests {
    static let logger = Logger(label: "cluster-resumable-test")

    struct Bed {
        let uploads: ClusterResumableUploads
        let objects: ClusterObjectStore
        let blobs: DirectoryBlobStore
        let catalog: PostgresResumableCatalog
        let data: DataDirectory
    }

    static func withBed(_ body: (Bed) async throws -> Void) async throws {
        try await withClusterObjects("vv-cluster-tus", logger: Self.logger) { client, objects, blobs, data in
            let catalog = PostgresResumableCatalog(client: client, logger: Self.logger)
            try await body(
                Bed(
                    uploads: ClusterResumableUploads(catalog: catalog, objects: objects, blobs: blobs, staging: data), objects: objects,
                    blobs: blobs, catalog: catalog, data: data))
        }
    }

    static func upload(length: Int?, key: String = "k", expiresAt: Double = Date().timeIntervalSince1970 + 3_600) -> ResumableUpload {
        ResumableUpload(
            id: ResumableUploadStore.newId(), bucket: "b", key: key, length: length, mimeType: "text/plain", cacheControl: "no-cache",
            userMetadata: nil, upsert: false, metadataHeader: "", createdAt: 0, expiresAt: expiresAt)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func twoWritersFromOneOffsetCountOnceAndTheLastPartPublishesTheObject() async throws {
        try await Self.withBed { bed in
            let upload = Self.upload(length: 20)
            try await bed.uploads.create(upload, maximumInProgress: 10)
            // Two nodes' PATCHes from offset 0: the first to record wins, the second is 409 and leaves no blob.
            let first = try await bed.uploads.sink(for: upload)
            let second = try await bed.uploads.sink(for: upload)
            try await first.append(Self.bytes("0123456789"))
            try await second.append(Self.bytes("abcdefghij"))
            #expect(try await first.close().offset == 10)
            await #expect(throws: TusHeaders.Failure.self) { _ = try await second.close() }
            #expect(try await bed.blobs.list() == [SHA256Digest.of(Self.bytes("0123456789"))], "the refused part's blob is released")
            let held = try #require(try await bed.uploads.upload(upload.id))
            #expect(held.offset == 10)
            let last = try await bed.uploads.sink(for: held)
            try await last.append(Self.bytes("ABCDEFGHIJ"))
            let whole = try await last.close()
            #expect(whole.isComplete)
            let record = try await bed.uploads.complete(whole, globalLimit: 1 << 20)
            #expect(record.size == 20 && record.sha256 == SHA256Digest.of(Self.bytes("0123456789ABCDEFGHIJ")).hex)
            #expect(try await bed.uploads.upload(upload.id) == nil)
            #expect(try await bed.blobs.list() == [SHA256Digest.of(Self.bytes("0123456789ABCDEFGHIJ"))], "only the object's blob is left")
            let copy = try #require(try await bed.objects.localCopy(of: record))
            #expect(try FileSystem.readFile(copy) == Self.bytes("0123456789ABCDEFGHIJ"))
        }
    }

    @Test func aCompletionACrashInterruptedIsFinishedOnceByRecovery() async throws {
        try await Self.withBed { bed in
            let upload = Self.upload(length: 6)
            try await bed.uploads.create(upload, maximumInProgress: 10)
            let sink = try await bed.uploads.sink(for: upload)
            try await sink.append(Self.bytes("whole!"))
            var planned = try await sink.close()
            // Killed after recording the version, before publishing: recovery publishes it under that version.
            planned.commitVersion = "00000000-0000-4000-8000-000000000001"
            _ = try await bed.catalog.updateUpload(planned)
            let recovered = try await bed.uploads.recover(globalLimit: 1 << 20)
            #expect(recovered.completed == 1 && recovered.failed == 0)
            #expect(try await bed.objects.catalog.object(bucket: "b", key: "k")?.version == planned.commitVersion)
            // Killed after publishing, before cleaning up: recovery only cleans up (a second publication without
            // upsert would have been refused).
            let again = Self.upload(length: 2, key: "k2")
            try await bed.uploads.create(again, maximumInProgress: 10)
            let second = try await bed.uploads.sink(for: again)
            try await second.append(Self.bytes("ok"))
            var done = try await second.close()
            done.commitVersion = "00000000-0000-4000-8000-000000000002"
            _ = try await bed.catalog.updateUpload(done)
            let staging = try StagingFile(directory: bed.data, limit: 2)
            try staging.append(Self.bytes("ok"))
            _ = try await bed.objects.put(
                staged: try staging.finish(), mimeType: "text/plain", cacheControl: "no-cache", userMetadata: nil, bucket: "b", key: "k2",
                upsert: false, globalLimit: 1 << 20, version: "00000000-0000-4000-8000-000000000002")
            let cleaned = try await bed.uploads.recover(globalLimit: 1 << 20)
            #expect(cleaned.completed == 1 && cleaned.failed == 0)
            #expect(try await bed.uploads.upload(again.id) == nil)
            #expect(try await bed.objects.catalog.object(bucket: "b", key: "k2")?.version == done.commitVersion)
        }
    }

    /// Twenty downloads of one object this node holds no copy of: one fetch from the blob store, every one
    /// answered from the copy it made.
    @Test func aBurstOfColdDownloadsFetchesTheBlobOnce() async throws {
        let directory = TemporaryDirectory("vv-cluster-cold")
        let data = DataDirectory(root: directory.sub("data"))
        try data.prepare()
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            let blobs = CountingBlobStore(base: DirectoryBlobStore(root: directory.sub("blobs")))
            let catalog = PostgresObjectCatalog(client: client, logger: Self.logger)
            let writer = ClusterObjectStore(
                catalog: catalog, blobs: blobs, copies: try LocalBlobCopies(directory: directory.sub("writer-copies"), limit: 1 << 20))
            let reader = ClusterObjectStore(
                catalog: catalog, blobs: blobs, copies: try LocalBlobCopies(directory: directory.sub("reader-copies"), limit: 1 << 20))
            try await catalog.createBucket(
                BucketRecord(id: "b", name: "b", isPublic: false, fileSizeLimit: nil, allowedMimeTypes: nil, createdAt: 0, updatedAt: 0))
            let staging = try StagingFile(directory: data, limit: 1 << 20)
            try staging.append([UInt8](repeating: 7, count: 100_000))
            let record = try await writer.put(
                staged: try staging.finish(), mimeType: "application/octet-stream", cacheControl: "no-cache", userMetadata: nil,
                bucket: "b", key: "cold", upsert: false, globalLimit: 1 << 20)
            let paths = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 { group.addTask { try await reader.localCopy(of: record) } }
                var all: [String?] = []
                for try await path in group { all.append(path) }
                return all
            }
            #expect(Set(paths).count == 1 && paths.allSatisfy { $0 != nil })
            #expect(blobs.reads.value == 1, "\(blobs.reads.value) fetches for one cold object")
        }
    }

    @Test func creationIsBoundedAndExpiryReleasesWhatAnUploadHeld() async throws {
        try await Self.withBed { bed in
            let stale = Self.upload(length: 100, expiresAt: 1)
            try await bed.uploads.create(stale, maximumInProgress: 1)
            await #expect(throws: ResumableUploadError.tooManyUploads(1)) {
                try await bed.uploads.create(Self.upload(length: 1), maximumInProgress: 1)
            }
            let sink = try await bed.uploads.sink(for: stale)
            try await sink.append(Self.bytes("abandoned"))
            _ = try await sink.close()
            #expect(try await bed.blobs.list().count == 1)
            #expect(try await bed.uploads.sweep(now: Date().timeIntervalSince1970) == 1)
            #expect(try await bed.uploads.upload(stale.id) == nil)
            #expect(try await bed.blobs.list().isEmpty)
        }
    }
}
