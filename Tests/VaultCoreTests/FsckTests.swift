import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct FsckTests {
    let dir = TemporaryDirectory()

    /// A store with three healthy assets: `a` in book1, `b` in book1 and book2 (hard-linked), `c` in book3.
    func populatedStore() throws -> (AssetStore, [String: SHA256Digest]) {
        let store = try AssetStore.open(directory: DataDirectory(root: dir.sub("data")))
        let hashes = ["a": SHA256Digest.test("a"), "b": .test("b"), "c": .test("c")]
        _ = try store.publish(SilentMP3.make(frames: 10, seed: 1), hash: hashes["a"]!, bookId: .book("book1"), metadata: sampleMetadata())
        _ = try store.publish(SilentMP3.make(frames: 11, seed: 2), hash: hashes["b"]!, bookId: .book("book1"), metadata: sampleMetadata())
        _ = try store.link(hashes["b"]!, to: .book("book2"))
        _ = try store.publish(SilentMP3.make(frames: 12, seed: 3), hash: hashes["c"]!, bookId: .book("book3"), metadata: sampleMetadata())
        return (store, hashes)
    }

    func path(_ book: String, _ hash: SHA256Digest) -> String { dir.sub("data/audio/\(book)/\(hash.hex).mp3") }

    @Test func aHealthyStoreIsClean() throws {
        let (store, _) = try populatedStore()
        let report = try Fsck(store: store).run(repair: false)
        #expect(report.isClean)
        #expect(report.recordsChecked == 3)
        #expect(report.filesChecked == 4)
    }

    @Test func everyKindOfDamageIsReportedAndRepaired() throws {
        let (store, h) = try populatedStore()
        try FileSystem.removeFile(path("book1", h["a"]!))  // missing
        // book3's file replaced by other bytes of the same size, then by a shorter file.
        var other = try FileSystem.readFile(path("book3", h["c"]!))
        other[other.count - 1] ^= 0xFF
        try FileSystem.removeFile(path("book3", h["c"]!))
        try Data(other).write(to: URL(fileURLWithPath: path("book3", h["c"]!)))
        let unindexed = SHA256Digest.test("unindexed")
        try Data(SilentMP3.make(frames: 2)).write(to: URL(fileURLWithPath: path("book2", unindexed)))
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.sub("data/audio/book2/notes.txt")))
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.sub("data/tmp/left.part")))
        var progressCalls = 0

        let report = try Fsck(store: store).run(repair: false) { _, done, total in
            progressCalls += 1
            #expect(done <= total)
        }
        let kinds = report.problems.map(\.kind)
        #expect(kinds.filter { $0 == .missingFile }.count == 1)
        #expect(kinds.filter { $0 == .digestMismatch }.count == 1)
        #expect(kinds.filter { $0 == .unindexedFile }.count == 1)
        #expect(kinds.filter { $0 == .strayEntry }.count == 1)
        #expect(kinds.filter { $0 == .temporaryFile }.count == 1)
        #expect(report.invariantViolations == 2)
        #expect(progressCalls > 0)

        let repaired = try Fsck(store: store).run(repair: true)
        #expect(repaired.problems == report.problems)
        #expect(!repaired.repairs.isEmpty)
        let after = try Fsck(store: store).run(repair: false)
        #expect(after.isClean, "\(after.problems)")
        // Dangling references were dropped; nothing healthy was touched; suspicious files were kept aside.
        #expect(try store.record(for: h["a"]!) == nil)
        #expect(try store.record(for: h["c"]!) == nil)
        #expect(try store.record(for: h["b"]!)?.bookIds == ["book1", "book2"])
        #expect(try FileSystem.contents(of: dir.sub("data/quarantine")).count == 3)
    }

    @Test func aSizeMismatchIsAnInvariantViolation() throws {
        let (store, h) = try populatedStore()
        let file = path("book3", h["c"]!)
        let bytes = try FileSystem.readFile(file)
        try FileSystem.removeFile(file)
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: file))
        let report = try Fsck(store: store).run(repair: false)
        #expect(report.problems.map(\.kind) == [.sizeMismatch])
        #expect(report.invariantViolations == 1)
    }

    @Test func aBrokenHardLinkOnlyAffectsItsBook() throws {
        let (store, h) = try populatedStore()
        try FileSystem.removeFile(path("book2", h["b"]!))
        _ = try Fsck(store: store).run(repair: true)
        #expect(try store.record(for: h["b"]!)?.bookIds == ["book1"])
        #expect(try Fsck(store: store).run(repair: false).isClean)
    }

    @Test func secondaryIndexDriftIsFound() throws {
        let (store, h) = try populatedStore()
        let index = store.index
        try index.environment.write { txn in
            try txn.delete(AssetIndex.bookKey("book3", h["c"]!), in: index.databases.books)
            try txn.put([], for: AssetIndex.bookKey("ghost", h["a"]!), in: index.databases.books)
        }
        let report = try Fsck(store: store).run(repair: false)
        #expect(Set(report.problems.map(\.kind)) == [.missingBookKey, .danglingBookKey])
        _ = try Fsck(store: store).run(repair: true)
        #expect(try Fsck(store: store).run(repair: false).isClean)
        #expect(try index.hashes(forBook: .book("book3")) == [h["c"]!])
    }
}

@Suite struct FsckCorruptRecordTests {
    @Test func anUndecodableRecordIsReportedNotFatalAndRepairSetsItsFilesAside() throws {
        let dir = TemporaryDirectory()
        let store = try AssetStore.open(directory: DataDirectory(root: dir.sub("data")))
        let good = SHA256Digest.test("good")
        let bad = SHA256Digest.test("bad")
        _ = try store.publish(SilentMP3.make(frames: 5, seed: 1), hash: good, bookId: .book("b"), metadata: sampleMetadata())
        _ = try store.publish(SilentMP3.make(frames: 6, seed: 2), hash: bad, bookId: .book("b"), metadata: sampleMetadata())
        let index = store.index
        try index.environment.write { txn in
            try txn.put(Array("garbage".utf8), for: AssetIndex.assetKey(bad), in: index.databases.assets)
        }

        let report = try Fsck(store: store).run(repair: false)
        #expect(report.problems.contains { $0.kind == .corruptRecord && $0.hash == bad.hex })
        #expect(report.invariantViolations >= 1)
        #expect(report.recordsChecked == 1)

        let repaired = try Fsck(store: store).run(repair: true)
        #expect(repaired.repairs.contains { $0.contains("undecodable record \(bad.hex)") })
        let after = try Fsck(store: store).run(repair: false)
        #expect(after.isClean, "\(after.problems)")
        #expect(try store.record(for: good)?.bookIds == ["b"])
        #expect(try FileSystem.contents(of: dir.sub("data/quarantine")).count == 1)
    }
}

/// Issue 10 item 9: a symbolic link anywhere under the data directory is an entry, never followed, by fsck,
/// by the store's writes and deletes, and by reads.
@Suite struct SymbolicLinkTests {
    let dir = TemporaryDirectory()
    let outside = TemporaryDirectory("vv-outside")

    func store() throws -> AssetStore {
        try AssetStore.open(directory: DataDirectory(root: dir.sub("data")))
    }

    func secret() throws -> String {
        let path = outside.sub("secret.mp3")
        try Data(SilentMP3.make(frames: 10, seed: 9)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func fsckRepairMovesALinkedBookDirectoryItselfNeverItsTarget() throws {
        let store = try store()
        let target = outside.sub("book")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let hash = SHA256Digest.test("x")
        try Data(SilentMP3.make(frames: 3)).write(to: URL(fileURLWithPath: target + "/\(hash.hex).mp3"))
        try FileManager.default.createSymbolicLink(atPath: dir.sub("data/audio/linked"), withDestinationPath: target)
        let report = try Fsck(store: store).run(repair: true)
        #expect(report.problems.contains { $0.kind == .strayEntry && $0.path == "audio/linked" && $0.detail.contains("symbolic link") })
        // The target's file is where it was; the link went to quarantine as a link.
        #expect(FileManager.default.fileExists(atPath: target + "/\(hash.hex).mp3"))
        let quarantined = try FileSystem.contents(of: dir.sub("data/quarantine"))
        #expect(quarantined.count == 1)
        #expect(try FileSystem.status(dir.sub("data/quarantine/") + quarantined[0])?.isSymbolicLink == true)
        #expect(try Fsck(store: store).run(repair: false).isClean)
    }

    @Test func anIndexedFileReplacedByALinkIsMissingNeverRead() throws {
        let store = try store()
        let hash = SHA256Digest.test("asset")
        _ = try store.publish(SilentMP3.make(frames: 10, seed: 1), hash: hash, bookId: .book("b"), metadata: sampleMetadata())
        let path = store.directory.audioFile(book: .book("b"), hash: hash, format: OutputFormat.default)
        try FileSystem.removeFile(path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: try secret())
        #expect(FileSystem.openNoFollow(path, O_RDONLY) == -1)
        #expect(throws: SystemError.self) { try FileSystem.readFile(path) }
        let report = try Fsck(store: store).run(repair: true)
        #expect(report.problems.contains { $0.kind == .missingFile })
        #expect(report.problems.contains { $0.kind == .strayEntry && $0.detail.contains("symbolic link") })
        #expect(try store.record(for: hash) == nil)
        #expect(FileManager.default.fileExists(atPath: outside.sub("secret.mp3")))
        #expect(try Fsck(store: store).run(repair: false).isClean)
    }

    @Test func writesAndDeletesNeverGoThroughALinkedBookDirectory() throws {
        let store = try store()
        let target = outside.sub("victim")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let hash = SHA256Digest.test("y")
        let victim = target + "/\(hash.hex).mp3"
        try Data(SilentMP3.make(frames: 4)).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: dir.sub("data/audio/linked"), withDestinationPath: target)
        // Publishing into the linked book fails and writes nothing outside.
        let other = SHA256Digest.test("z")
        #expect(throws: SystemError.self) {
            try store.publish(SilentMP3.make(frames: 5), hash: other, bookId: .book("linked"), metadata: sampleMetadata())
        }
        #expect(try FileSystem.contents(of: target) == ["\(hash.hex).mp3"])
        #expect(try store.record(for: other) == nil)
        // Deleting the book's (unindexed) references removes nothing outside.
        try store.removeBook(.book("linked"))
        #expect(FileManager.default.fileExists(atPath: victim))
        #expect(throws: SystemError.self) { try FileSystem.removeFile(store.directory.audioFile(book: .book("linked"), hash: hash, format: OutputFormat.default)) }
        #expect(FileManager.default.fileExists(atPath: victim))
    }
}
