import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct TusMetadataTests {
    static func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func readsPairsKeysAloneAndUpstreamRules() throws {
        let header =
            "bucketName \(Self.b64("books")),objectName \(Self.b64("a b/c+d.mp3")), contentType \(Self.b64("audio/mpeg")),cacheControl \(Self.b64("60")),flag"
        let metadata = try TusMetadata(header: header)
        #expect(metadata.bucketName == "books")
        #expect(metadata.objectName == "a b/c+d.mp3")
        #expect(metadata.contentType == "audio/mpeg")
        #expect(metadata.cacheControl == "max-age=60")
        #expect(metadata.values["flag"] == "")
        #expect(try TusMetadata(header: metadata.header) == metadata)
    }

    @Test func defaultsFollowUpstream() throws {
        let bare = try TusMetadata(header: "bucketName \(Self.b64("b"))")
        #expect(bare.objectName == nil)
        #expect(bare.contentType == "application/octet-stream")
        #expect(bare.cacheControl == "no-cache")
        #expect(try TusMetadata(header: "cacheControl \(Self.b64("public"))").cacheControl == "no-cache")
        #expect(try TusMetadata(header: "cacheControl \(Self.b64("-1"))").cacheControl == "no-cache")
        #expect(try TusMetadata(header: "metadata \(Self.b64(#"{"a":1}"#))").userMetadata() == #"{"a":1}"#)
    }

    @Test(arguments: [
        "bucketName !!!", "bucketName \(TusMetadataTests.b64("a")),bucketName \(TusMetadataTests.b64("b"))", "a,,b", ",",
        "k\u{7F}y \(TusMetadataTests.b64("v"))", "key \(Data([0xFF, 0xFE]).base64EncodedString())",
        String(repeating: "k ", count: 9000),
        (0..<40).map { "k\($0)" }.joined(separator: ","),
    ])
    func refuses(header: String) {
        #expect(throws: TusMetadata.Problem.self) { try TusMetadata(header: header) }
    }

    @Test func userMetadataMustBeAnObject() throws {
        #expect(throws: TusMetadata.Problem.self) { try TusMetadata(header: "metadata \(Self.b64("[1]"))").userMetadata() }
        #expect(throws: TusMetadata.Problem.self) { try TusMetadata(header: "metadata \(Self.b64("nope"))").userMetadata() }
    }
}

@Suite struct TusHeadersTests {
    /// The status a check refuses with, nil when it passes (any other error fails the test).
    static func failure(_ body: () throws -> Void) -> Int? {
        do { try body() } catch let failure as TusHeaders.Failure { return failure.status } catch {
            Issue.record("unexpected \(error)")
            return -1
        }
        return nil
    }

    @Test func versionIsRequiredAndExact() {
        #expect(Self.failure { try TusHeaders.checkVersion("1.0.0") } == nil)
        #expect(Self.failure { try TusHeaders.checkVersion(" 1.0.0 ") } == nil)
        #expect(Self.failure { try TusHeaders.checkVersion(nil) } == 412)
        #expect(Self.failure { try TusHeaders.checkVersion("0.2.2") } == 412)
    }

    @Test(
        arguments: [
            ("0", nil, 100, Optional(0), Optional<Int>.none), ("100", nil, 100, 100, nil), ("101", nil, 100, nil, 413),
            (nil, "1", 100, nil, nil), (nil, "0", 100, nil, 400), (nil, nil, 100, nil, 400), ("5", "1", 100, nil, 400),
            ("-1", nil, 100, nil, 400), ("1e3", nil, 100, nil, 400), ("99999999999999999999", nil, 100, nil, 400), ("", nil, 100, nil, 400),
        ] as [(String?, String?, Int, Int?, Int?)])
    func creationLength(length: String?, deferred: String?, limit: Int, expected: Int?, status: Int?) {
        var result: Int?
        let failed = Self.failure { result = try TusHeaders.creationLength(uploadLength: length, deferLength: deferred, limit: limit) }
        #expect(failed == status)
        if status == nil { #expect(result == expected) }
    }

    @Test func patchChecks() {
        #expect(Self.failure { _ = try TusHeaders.patchOffset("10", expected: 10) } == nil)
        #expect(Self.failure { _ = try TusHeaders.patchOffset("9", expected: 10) } == 409)
        #expect(Self.failure { _ = try TusHeaders.patchOffset(nil, expected: 10) } == 400)
        #expect(Self.failure { _ = try TusHeaders.patchOffset("ten", expected: 10) } == 400)
        #expect(Self.failure { try TusHeaders.checkPatchType("application/offset+octet-stream") } == nil)
        #expect(Self.failure { try TusHeaders.checkPatchType("Application/Offset+Octet-Stream; charset=x") } == nil)
        #expect(Self.failure { try TusHeaders.checkPatchType("application/octet-stream") } == 415)
        #expect(Self.failure { try TusHeaders.checkPatchType(nil) } == 415)
        #expect(Self.failure { _ = try TusHeaders.deferredLength("5", offset: 6, limit: 100) } == 400)
        #expect(Self.failure { _ = try TusHeaders.deferredLength("101", offset: 6, limit: 100) } == 413)
        #expect(Self.failure { _ = try TusHeaders.deferredLength(nil, offset: 6, limit: 100) } == nil)
    }
}

/// The store on a real data directory: checkpoints, recovery after a "crash" (a writer abandoned without
/// closing, a commit stopped half way), sweeping.
@Suite struct ResumableUploadStoreTests {
    static func vault(_ directory: TemporaryDirectory) throws -> OpenedVault {
        let vault = try OpenedVault(root: directory.sub("data"))
        _ = try vault.objects.catalog.ensureBucket(
            BucketRecord(
                id: "b", name: "b", isPublic: false, fileSizeLimit: nil, allowedMimeTypes: nil,
                createdAt: 0, updatedAt: 0))
        return vault
    }

    static func upload(length: Int?, key: String = "k.bin", upsert: Bool = false, expiresAt: Double = 4_000_000_000) -> ResumableUpload {
        ResumableUpload(
            id: ResumableUploadStore.newId(), bucket: "b", key: key, length: length, mimeType: "application/octet-stream",
            cacheControl: "no-cache", userMetadata: nil, upsert: upsert, metadataHeader: "", createdAt: 0, expiresAt: expiresAt)
    }

    @Test func bytesBeyondTheLastCheckpointAreNeverCounted() throws {
        let directory = TemporaryDirectory("vv-resumable")
        let vault = try Self.vault(directory)
        let uploads = vault.resumable
        let upload = Self.upload(length: 10)
        try uploads.create(upload)
        let writer = try uploads.writer(for: upload)
        try writer.append(Array("hello".utf8))
        #expect(try writer.checkpoint().offset == 5)
        try writer.append(Array("wor".utf8))  // written, never checkpointed: a crash here
        #expect(try uploads.upload(upload.id)?.offset == 5)
        #expect(try FileSystem.status(uploads.partPath(upload.id))?.size == 8)
        _ = try uploads.recover(globalLimit: 1 << 20)
        #expect(try FileSystem.status(uploads.partPath(upload.id))?.size == 5)
        // The next writer starts from the checkpoint, whatever the file held.
        let resumed = try uploads.writer(for: try #require(try uploads.upload(upload.id)))
        try resumed.append(Array("world".utf8))
        let done = try resumed.close()
        #expect(done.isComplete)
        let record = try uploads.complete(done, globalLimit: 1 << 20)
        #expect(try FileSystem.readFile(vault.objects.path(of: record)) == Array("helloworld".utf8))
        #expect(try uploads.count() == 0)
    }

    @Test func aCommitStoppedHalfWayIsFinishedOnceByRecovery() throws {
        let directory = TemporaryDirectory("vv-resumable")
        let vault = try Self.vault(directory)
        let uploads = vault.resumable
        var upload = Self.upload(length: 4)
        try uploads.create(upload)
        let writer = try uploads.writer(for: upload)
        try writer.append(Array("data".utf8))
        upload = try writer.close()
        // The commit planned and the version linked, the record not yet written: as a kill after `renamed`.
        upload.commitVersion = UUID().uuidString.lowercased()
        try uploads.save(upload)
        let version = try #require(upload.commitVersion)
        #expect(try FileSystem.link(uploads.partPath(upload.id), to: vault.objects.directory.objectFile(version: version)))
        #expect(try vault.objects.catalog.object(bucket: "b", key: "k.bin") == nil)
        #expect(try uploads.recover(globalLimit: 1 << 20) == (completed: 1, failed: 0))
        let record = try #require(try vault.objects.catalog.object(bucket: "b", key: "k.bin"))
        #expect(record.version == version && record.size == 4)
        #expect(try uploads.count() == 0)
        // Done is done: nothing more to recover, and the object is not published again.
        #expect(try uploads.recover(globalLimit: 1 << 20) == (completed: 0, failed: 0))
        #expect(try vault.objects.catalog.object(bucket: "b", key: "k.bin") == record)
    }

    @Test func aCommitWhoseKeyWasTakenEndsTheUpload() throws {
        let directory = TemporaryDirectory("vv-resumable")
        let vault = try Self.vault(directory)
        let uploads = vault.resumable
        let upload = Self.upload(length: 1)
        try uploads.create(upload)
        let writer = try uploads.writer(for: upload)
        try writer.append([7])
        let done = try writer.close()
        _ = try vault.objects.put(
            .init(bytes: [1, 2], mimeType: "application/octet-stream", cacheControl: "no-cache", userMetadata: nil),
            bucket: "b", key: "k.bin", upsert: false, globalLimit: 100)
        #expect(throws: StorageCatalogError.objectExists(bucket: "b", key: "k.bin")) { try uploads.complete(done, globalLimit: 100) }
        #expect(try uploads.count() == 0)
        #expect(try FileSystem.contents(of: vault.objects.directory.uploads).isEmpty)
    }

    @Test func sweepingRemovesTheExpiredAndTheOrphanedButNotTheClaimed() throws {
        let directory = TemporaryDirectory("vv-resumable")
        let vault = try Self.vault(directory)
        let uploads = vault.resumable
        let expired = Self.upload(length: 10, expiresAt: 100)
        let busy = Self.upload(length: 10, key: "busy.bin", expiresAt: 100)
        let alive = Self.upload(length: 10, key: "alive.bin", expiresAt: 1_000)
        for upload in [expired, busy, alive] { try uploads.create(upload) }
        let orphan = uploads.partPath(ResumableUploadStore.newId())
        #expect(FileManager.default.createFile(atPath: orphan, contents: Data([1])))
        #expect(uploads.claim(busy.id))
        #expect(try uploads.sweep(now: 500) == 1)
        uploads.release(busy.id)
        #expect(try uploads.upload(expired.id) == nil)
        #expect(try uploads.upload(busy.id) != nil)
        #expect(try uploads.upload(alive.id) != nil)
        #expect(!FileSystem.exists(orphan))
        #expect(try uploads.sweep(now: 500) == 1)
        #expect(try uploads.count() == 1)
    }

    /// Many creations at once never pass the bound together: counting and creating are one step.
    @Test func theBoundOnUploadsInProgressHoldsUnderConcurrentCreations() async throws {
        let directory = TemporaryDirectory("vv-resumable")
        let uploads = try Self.vault(directory).resumable
        let refused = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await BlockingIO.run {
                        do { try uploads.create(Self.upload(length: 1), maximumInProgress: 5) } catch ResumableUploadError.tooManyUploads(5)
                        {
                            refused.add()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try uploads.count() == 5)
        #expect(refused.value == 15)
    }

    @Test func onlyOneWriterAtATime() throws {
        let directory = TemporaryDirectory("vv-resumable")
        let uploads = try Self.vault(directory).resumable
        #expect(uploads.claim("a"))
        #expect(!uploads.claim("a"))
        #expect(uploads.claim("b"))
        uploads.release("a")
        #expect(uploads.claim("a"))
    }

    @Test func idsAreOnlyWhatThisServerMakes() {
        #expect(ResumableUpload.isValidId(ResumableUploadStore.newId()))
        for bad in [
            "", "../../etc/passwd", String(repeating: "A", count: 32), String(repeating: "a", count: 31),
            "0123456789abcdef0123456789abcdeg",
        ] {
            #expect(!ResumableUpload.isValidId(bad), "\(bad)")
        }
    }
}
