import Foundation
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// A cluster's S3 multipart uploads in process (`ClusterMultipartUploads` over PostgreSQL and a blob directory):
/// a part sent again replaces the earlier one and releases its blob, completion checks the named parts against
/// their ETags and publishes exactly them, nothing lands in an upload once its completion is planned, and an
/// abort releases every part.
@Suite struct ClusterMultipartUploadsTests {
    static let logger = Logger(label: "cluster-multipart-test")

    static func withUploads(_ body: (ClusterMultipartUploads, ClusterObjectStore, DirectoryBlobStore, DataDirectory) async throws -> Void)
        async throws
    {
        try await withClusterObjects("vv-cluster-multipart", logger: Self.logger) { client, objects, blobs, data in
            let uploads = ClusterMultipartUploads(
                catalog: PostgresMultipartCatalog(client: client, logger: Self.logger), objects: objects, blobs: blobs, staging: data)
            try await body(uploads, objects, blobs, data)
        }
    }

    static func upload(key: String = "k") -> MultipartUpload {
        MultipartUpload(
            id: ResumableUploadStore.newId(), bucket: "b", key: key, mimeType: "application/octet-stream", cacheControl: "no-cache",
            userMetadata: nil, createdAt: Date().timeIntervalSince1970)
    }

    static func part(_ text: String, _ uploads: ClusterMultipartUploads, number: Int, of id: String, in data: DataDirectory) async throws
        -> String
    {
        let staging = try StagingFile(directory: data, limit: 1 << 20)
        defer { staging.discard() }
        try staging.append(Array(text.utf8))
        return try await uploads.putPart(try staging.finish(), number: number, of: id)
    }

    static func digest(_ text: String) -> SHA256Digest { SHA256Digest.of(Array(text.utf8)) }

    @Test func partsAreReplacedCheckedAndPublishedOnce() async throws {
        try await Self.withUploads { uploads, objects, blobs, data in
            let upload = Self.upload()
            try await uploads.create(upload, maximumInProgress: 10)
            _ = try await Self.part("draft", uploads, number: 1, of: upload.id, in: data)
            let first = try await Self.part("first ", uploads, number: 1, of: upload.id, in: data)
            let second = try await Self.part("second", uploads, number: 2, of: upload.id, in: data)
            #expect(try await uploads.parts(of: upload.id).map(\.sha256) == [first, second], "the part sent again replaced the draft")
            #expect(Set(try await blobs.list()) == [Self.digest("first "), Self.digest("second")], "the draft's blob is released")
            // Completion names parts by their ETags: a wrong one, or out of order, is refused and plans nothing.
            await #expect(throws: S3Error.self) {
                _ = try await uploads.complete(upload.id, parts: [(1, first), (2, first)], globalLimit: 1 << 20)
            }
            await #expect(throws: S3Error.self) {
                _ = try await uploads.complete(upload.id, parts: [(2, second), (1, first)], globalLimit: 1 << 20)
            }
            #expect(try await uploads.upload(upload.id)?.completion == nil)
            let record = try await uploads.complete(upload.id, parts: [(1, first), (2, second)], globalLimit: 1 << 20)
            #expect(record.sha256 == Self.digest("first second").hex && record.size == 12)
            #expect(try await uploads.upload(upload.id) == nil)
            await #expect(throws: S3Error.noSuchUpload) { _ = try await Self.part("late", uploads, number: 3, of: upload.id, in: data) }
            #expect(try await blobs.list() == [Self.digest("first second")], "only the object's blob is left")
            #expect(try await objects.catalog.object(bucket: "b", key: "k")?.version == record.version)
        }
    }

    @Test func anAbortReleasesEveryPartAndCreationIsBounded() async throws {
        try await Self.withUploads { uploads, _, blobs, data in
            let upload = Self.upload()
            try await uploads.create(upload, maximumInProgress: 1)
            await #expect(throws: ResumableUploadError.tooManyUploads(1)) { try await uploads.create(Self.upload(), maximumInProgress: 1) }
            _ = try await Self.part("one", uploads, number: 1, of: upload.id, in: data)
            _ = try await Self.part("two", uploads, number: 2, of: upload.id, in: data)
            #expect(try await blobs.list().count == 2)
            try await uploads.remove(upload.id)
            #expect(try await uploads.upload(upload.id) == nil)
            #expect(try await blobs.list().isEmpty)
        }
    }
}
