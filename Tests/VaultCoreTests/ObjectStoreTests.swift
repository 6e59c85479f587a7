import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// Uploaded objects on a real data directory: LMDB catalog files and version files on disk.
@Suite struct ObjectStoreTests {
    let dir = TemporaryDirectory()

    func open() throws -> ObjectStore {
        let assets = try AssetStore.open(directory: DataDirectory(root: dir.sub("data")))
        return ObjectStore(directory: assets.directory, catalog: try StorageCatalog(environment: assets.index.environment))
    }

    func bucket(_ store: ObjectStore, _ name: String = "b", limit: Int? = nil, types: [String]? = nil) throws {
        try store.catalog.createBucket(
            BucketRecord(
                id: name, name: name, isPublic: false, fileSizeLimit: limit, allowedMimeTypes: types,
                createdAt: 1, updatedAt: 1))
    }

    func upload(_ text: String, type: String = "audio/mpeg") -> ObjectStore.Upload {
        .init(bytes: Array(text.utf8), mimeType: type, cacheControl: "max-age=60", userMetadata: #"{"k":1}"#)
    }

    func versionFiles(_ store: ObjectStore) throws -> [String] { try FileSystem.contents(of: store.directory.objects).sorted() }

    @Test func putStoresBytesAndRecordAndSurvivesReopening() throws {
        let record: ObjectRecord
        do {  // the first store (and its LMDB environment) is released at the end of this scope
            let store = try open()
            try bucket(store)
            record = try store.put(upload("hello"), bucket: "b", key: "a/b c+d.mp3", upsert: false, globalLimit: 100)
            #expect(try FileSystem.readFile(store.path(of: record)) == Array("hello".utf8))
            #expect(record.sha256 == SHA256Digest.of(Array("hello".utf8)).hex)
            #expect(record.size == 5 && record.userMetadata == #"{"k":1}"#)
        }
        let reopened = try open()
        #expect(try reopened.catalog.object(bucket: "b", key: "a/b c+d.mp3") == record)
        #expect(try FileSystem.contents(of: reopened.directory.temporary).isEmpty)
    }

    @Test func withoutUpsertAnExistingKeyWinsAndNoFileIsLeftBehind() throws {
        let store = try open()
        try bucket(store)
        let first = try store.put(upload("one"), bucket: "b", key: "k", upsert: false, globalLimit: 100)
        #expect(throws: StorageCatalogError.objectExists(bucket: "b", key: "k")) {
            try store.put(upload("two"), bucket: "b", key: "k", upsert: false, globalLimit: 100)
        }
        #expect(try versionFiles(store) == [first.version])
        #expect(try FileSystem.readFile(store.path(of: first)) == Array("one".utf8))
        #expect(try FileSystem.contents(of: store.directory.temporary).isEmpty, "the refused upload's staging file is gone")
    }

    @Test func aStagingFileEnforcesItsLimitAsBytesArriveAndCountsAndHashes() throws {
        let store = try open()
        let staging = try StagingFile(directory: store.directory, limit: 10)
        try staging.append(Array("hello".utf8))
        try staging.append(Array("world".utf8))
        #expect(throws: ObjectStore.Failure.tooLarge(limit: 10)) { try staging.append([0x21]) }
        let staged = try staging.finish()
        #expect(staged.size == 10 && staged.sha256 == SHA256Digest.of(Array("helloworld".utf8)))
        #expect(try FileSystem.readFile(staged.path) == Array("helloworld".utf8))
        #expect(throws: SystemError.self) { try staging.append([0x21]) }
        staging.discard()
        #expect(try FileSystem.contents(of: store.directory.temporary).isEmpty)
    }

    @Test func upsertReplacesTheVersionKeepsIdentityAndRemovesTheOldFile() throws {
        let store = try open()
        try bucket(store)
        let first = try store.put(
            upload("one"), bucket: "b", key: "k", upsert: false, globalLimit: 100, now: Date(timeIntervalSince1970: 10))
        let second = try store.put(
            upload("two!"), bucket: "b", key: "k", upsert: true, globalLimit: 100, now: Date(timeIntervalSince1970: 20))
        #expect(second.id == first.id && second.createdAt == 10 && second.updatedAt == 20)
        #expect(second.version != first.version)
        #expect(try versionFiles(store) == [second.version])
        #expect(try FileSystem.readFile(store.path(of: second)) == Array("two!".utf8))
    }

    @Test func limitsAndTypesAreCheckedBeforeAnythingIsWritten() throws {
        let store = try open()
        try bucket(store, limit: 4, types: ["audio/*"])
        #expect(throws: ObjectStore.Failure.tooLarge(limit: 4)) {
            try store.put(upload("12345"), bucket: "b", key: "k", upsert: false, globalLimit: 100)
        }
        #expect(throws: ObjectStore.Failure.tooLarge(limit: 2)) {
            try store.put(upload("123"), bucket: "b", key: "k", upsert: false, globalLimit: 2)
        }
        #expect(throws: ObjectStore.Failure.mimeTypeNotAllowed("text/plain")) {
            try store.put(upload("1", type: "text/plain"), bucket: "b", key: "k", upsert: false, globalLimit: 100)
        }
        #expect(throws: StorageCatalogError.bucketNotFound("nope")) {
            try store.put(upload("1"), bucket: "nope", key: "k", upsert: false, globalLimit: 100)
        }
        #expect(try versionFiles(store).isEmpty)
    }

    /// Issue 10 item 7: a cross-bucket move adopts the source's bytes into the destination, then removes the
    /// source. An upsert that replaced the source in between was answered 200; the move must not remove it.
    @Test func aMoveRemovesTheSourceOnlyWhileItStillHoldsTheMovedVersion() throws {
        let store = try open()
        try bucket(store, "from")
        try bucket(store, "to")
        let moved = try store.put(upload("first"), bucket: "from", key: "k", upsert: false, globalLimit: 100)
        _ = try store.adopt(file: store.path(of: moved), as: moved, bucket: "to", key: "k", globalLimit: 100)
        let replacement = try store.put(upload("second"), bucket: "from", key: "k", upsert: true, globalLimit: 100)
        #expect(try store.remove(bucket: "from", keys: ["k"], ifVersion: moved.version).isEmpty)
        #expect(try store.catalog.object(bucket: "from", key: "k")?.version == replacement.version)
        #expect(try FileSystem.readFile(store.path(of: replacement)) == Array("second".utf8))
        // Unchanged, the source goes.
        let removed = try store.remove(bucket: "from", keys: ["k"], ifVersion: replacement.version)
        #expect(removed.map(\.version) == [replacement.version])
        #expect(try store.catalog.object(bucket: "from", key: "k") == nil)
    }

    /// Issue 10: a same-bucket copy racing an upsert or removal of its source answered 500 (ENOENT on link).
    /// Copiers and a writer run flat out against one key; every copy must hold one whole version or find no
    /// source, never fail on a vanished file.
    @Test func aCopyRacingAReplacementOrRemovalOfItsSourceNeverFailsWithAFileError() async throws {
        let store = try open()
        try bucket(store)
        _ = try store.put(upload("v-0"), bucket: "b", key: "src", upsert: true, globalLimit: 100)
        let writes = 400
        let writerDone = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for round in 1...writes {
                    if round % 5 == 0 {
                        _ = try store.remove(bucket: "b", keys: ["src"])
                    } else {
                        _ = try store.put(self.upload("v-\(round)"), bucket: "b", key: "src", upsert: true, globalLimit: 100)
                    }
                }
                writerDone.add()
            }
            for copier in 0..<3 {
                group.addTask {
                    var copies = 0
                    while writerDone.value == 0 {
                        do {
                            let copy = try store.copy(bucket: "b", from: "src", to: "dst-\(copier)-\(copies)")
                            let text = String(decoding: try FileSystem.readFile(store.path(of: copy)), as: UTF8.self)
                            #expect(text.hasPrefix("v-"))
                            copies += 1
                        } catch StorageCatalogError.objectNotFound {
                            // the source was removed first: a clean 404
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func copyHardLinksMoveRenamesRemoveDeletes() throws {
        let store = try open()
        try bucket(store)
        let original = try store.put(upload("bytes"), bucket: "b", key: "a", upsert: false, globalLimit: 100)
        let copy = try store.copy(bucket: "b", from: "a", to: "c")
        #expect(copy.id != original.id && copy.version != original.version)
        let a = try #require(try FileSystem.status(store.path(of: original)))
        let c = try #require(try FileSystem.status(store.path(of: copy)))
        #expect(a.isSameFile(as: c))
        let moved = try store.move(bucket: "b", from: "a", to: "m")
        #expect(moved.version == original.version && moved.id == original.id)
        #expect(try store.catalog.object(bucket: "b", key: "a") == nil)
        #expect(throws: StorageCatalogError.objectExists(bucket: "b", key: "c")) { try store.move(bucket: "b", from: "m", to: "c") }
        let removed = try store.remove(bucket: "b", keys: ["m", "missing"])
        #expect(removed.map(\.key) == ["m"])
        #expect(try versionFiles(store) == [copy.version])
        #expect(throws: StorageCatalogError.bucketNotEmpty("b")) { try store.catalog.deleteBucket("b") }
        #expect(try store.empty(bucket: "b") == 1)
        try store.catalog.deleteBucket("b")
        #expect(try store.catalog.allBuckets().isEmpty)
        #expect(try versionFiles(store).isEmpty)
    }

    @Test func bucketsAreCreatedOnceAndListedInOrder() throws {
        let store = try open()
        try bucket(store, "z")
        try bucket(store, "a")
        #expect(throws: StorageCatalogError.bucketExists("a")) { try bucket(store, "a") }
        #expect(try store.catalog.allBuckets().map(\.id) == ["a", "z"])
        let updated = try store.catalog.updateBucket("a") { $0.isPublic = true }
        #expect(updated.isPublic)
        #expect(throws: StorageCatalogError.bucketNotFound("q")) { try store.catalog.updateBucket("q") { _ in } }
    }

    @Test func signingSecretIsCreatedOnceAndKept() throws {
        let path = dir.sub("signing.key")
        let first = try SigningSecret.loadOrCreate(path: path, override: nil)
        #expect(first.count == 32)
        #expect(try SigningSecret.loadOrCreate(path: path, override: nil) == first)
        #expect(try SigningSecret.loadOrCreate(path: path, override: "shared") == Array("shared".utf8))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0)
    }

    @Test func folderContentsSkipsSubFoldersWithoutReadingThem() throws {
        let store = try open()
        try bucket(store)
        try bucket(store, "other")
        for key in ["book/ch1.mp3", "book/ch2.mp3", "book/deep/x.mp3", "book.mp3", "book0.mp3", "book-a/y.mp3", "a.mp3", "z/1", "z/2"] {
            _ = try store.put(upload(key), bucket: "b", key: key, upsert: false, globalLimit: 100)
        }
        _ = try store.put(upload("elsewhere"), bucket: "other", key: "book/ch9.mp3", upsert: false, globalLimit: 100)
        // A record inside a sub-folder that cannot be decoded: listing the parent must not need to read it.
        try store.catalog.environment.write { txn in
            try txn.put(Array("not json".utf8), for: StorageCatalog.objectKey("b", "z/damaged"), in: store.catalog.objects)
        }

        let root = try store.catalog.folderContents(bucket: "b", folder: "")
        #expect(Set(root.folders) == ["book", "book-a", "z"] && root.folders.count == 3)
        #expect(root.objects.map(\.key) == ["a.mp3", "book.mp3", "book0.mp3"])
        let book = try store.catalog.folderContents(bucket: "b", folder: "book/")
        #expect(book.folders == ["deep"] && book.objects.map(\.key) == ["book/ch1.mp3", "book/ch2.mp3"])
        #expect(try store.catalog.folderContents(bucket: "b", folder: "book/deep/").objects.map(\.key) == ["book/deep/x.mp3"])
        #expect(try store.catalog.folderContents(bucket: "b", folder: "missing/") == ([], []))
        #expect(throws: StorageCatalogError.self) { try store.catalog.folderContents(bucket: "b", folder: "z/") }

        let page = ObjectListing(prefix: "", limit: 3).entries(root.objects, knownFolders: root.folders)
        #expect(page.map(\.name) == ["a.mp3", "book", "book-a"])
    }

    // MARK: fsck over uploaded objects

    /// fsck through the store's own LMDB environment (one environment per file per process, as LMDB requires).
    func fsck(_ store: ObjectStore, repair: Bool = false) throws -> FsckReport {
        try Fsck(store: AssetStore(directory: store.directory, index: AssetIndex(environment: store.catalog.environment))).run(
            repair: repair)
    }

    @Test func fsckIsCleanAfterUploadsOverwritesCopiesAndRemovals() throws {
        let store = try open()
        try bucket(store)
        _ = try store.put(upload("one"), bucket: "b", key: "k", upsert: false, globalLimit: 100)
        _ = try store.put(upload("two"), bucket: "b", key: "k", upsert: true, globalLimit: 100)
        _ = try store.copy(bucket: "b", from: "k", to: "k2")
        _ = try store.put(upload("three"), bucket: "b", key: "gone", upsert: false, globalLimit: 100)
        _ = try store.remove(bucket: "b", keys: ["gone"])
        let report = try fsck(store)
        #expect(report.isClean, "\(report.problems)")
        #expect(report.filesChecked == 2)
    }

    @Test func fsckQuarantinesAVersionFileLeftByACrashBeforeTheCommit() throws {
        let store = try open()
        try bucket(store)
        let kept = try store.put(upload("kept"), bucket: "b", key: "k", upsert: false, globalLimit: 100)
        let orphan = "0b3a6f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
        try Data("renamed, never committed".utf8).write(to: URL(fileURLWithPath: store.directory.objectFile(version: orphan)))
        let found = try fsck(store)
        #expect(found.problems.map(\.kind) == [.unindexedFile] && found.problems.first?.path == "objects/\(orphan)")
        #expect(found.invariantViolations == 0)
        let repaired = try fsck(store, repair: true)
        #expect(repaired.repairs.contains("quarantined objects/\(orphan)"))
        #expect(try versionFiles(store) == [kept.version])
        #expect(try FileSystem.contents(of: store.directory.quarantine).count == 1)
        #expect(try fsck(store).isClean)
    }

    @Test func fsckDropsRecordsWhoseBytesAreMissingOrDifferent() throws {
        let store = try open()
        try bucket(store)
        let missing = try store.put(upload("missing"), bucket: "b", key: "missing", upsert: false, globalLimit: 100)
        let changed = try store.put(upload("changed"), bucket: "b", key: "changed", upsert: false, globalLimit: 100)
        let fine = try store.put(upload("fine"), bucket: "b", key: "fine", upsert: false, globalLimit: 100)
        try FileSystem.removeFile(store.path(of: missing))
        try Data("CHANGED".utf8).write(to: URL(fileURLWithPath: store.path(of: changed)))
        let found = try fsck(store)
        #expect(Set(found.problems.map(\.kind)) == [.missingFile, .digestMismatch])
        #expect(found.invariantViolations == 2)
        _ = try fsck(store, repair: true)
        #expect(try store.catalog.objects(bucket: "b").map(\.key) == ["fine"])
        #expect(try versionFiles(store) == [fine.version])
        #expect(try fsck(store).isClean)
    }

    @Test(arguments: [
        ("0b3a6f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", true), ("0B3A6F0E-1C2D-4E5F-8A9B-0C1D2E3F4A5B", false),
        ("../../etc/passwd", false), ("0b3a6f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5", false), ("", false),
        ("0b3a6f0e11c2d-4e5f-8a9b-0c1d2e3f4a5b", false), ("0b3a6f0e-1c2d-4e5f-8a9b-0c1d2e3f4a/b", false),
    ])
    func versionNamesAreLowercaseUUIDsOnly(name: String, valid: Bool) {
        #expect(StorageName.isVersionName(name) == valid)
    }
}
