import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct AssetStoreTests {
    let dir = TemporaryDirectory()

    func openStore(observer: PublicationObserver? = nil) throws -> AssetStore {
        try AssetStore.open(directory: DataDirectory(root: dir.sub("data")), observer: observer)
    }

    @Test func publishWritesTheFileAndTheRecord() throws {
        let store = try openStore()
        let audio = SilentMP3.make(frames: 50)
        let hash = SHA256Digest.test("a")
        let record = try store.publish(
            audio, hash: hash, bookId: .book("book1"), metadata: sampleMetadata(),
            now: Date(timeIntervalSince1970: 1_700_000_000))
        let path = dir.sub("data/audio/book1/\(hash.hex).mp3")
        #expect(try FileSystem.readFile(path) == audio)
        #expect(record.bookIds == ["book1"])
        #expect(record.byteSize == audio.count)
        #expect(record.sha256 == SHA256Digest.of(audio).hex)
        #expect(abs(record.durationSeconds - 50 * 1152 / 44_100.0) < 1e-9)
        #expect(record.createdAt == 1_700_000_000)
        #expect(try store.record(for: hash) == record)
        #expect(try FileSystem.contents(of: dir.sub("data/tmp")).isEmpty)
    }

    @Test func stepsRunInPublicationOrder() throws {
        final class Steps: @unchecked Sendable {
            var list = [PublicationStep]()
            let lock = NSLock()
        }
        let steps = Steps()
        let store = try openStore { step in steps.lock.withLock { steps.list.append(step) } }
        _ = try store.publish(SilentMP3.make(frames: 5), hash: .test("order"), bookId: .book("b"), metadata: sampleMetadata())
        #expect(steps.list == PublicationStep.allCases)
    }

    @Test func aSecondBookIsAHardLinkToTheSameBytes() throws {
        let store = try openStore()
        let audio = SilentMP3.make(frames: 30)
        let hash = SHA256Digest.test("shared")
        _ = try store.publish(audio, hash: hash, bookId: .book("first"), metadata: sampleMetadata())
        // Different bytes offered for the same hash are ignored: first writer wins.
        let record = try store.publish(
            SilentMP3.make(frames: 31), hash: hash, bookId: .book("second"),
            metadata: sampleMetadata())
        #expect(record.bookIds == ["first", "second"])
        let a = try #require(try FileSystem.status(dir.sub("data/audio/first/\(hash.hex).mp3")))
        let b = try #require(try FileSystem.status(dir.sub("data/audio/second/\(hash.hex).mp3")))
        #expect(a.isSameFile(as: b))
        #expect(a.linkCount == 2)
        #expect(try FileSystem.readFile(dir.sub("data/audio/second/\(hash.hex).mp3")) == audio)
        // Linking again is idempotent.
        #expect(try store.link(hash, to: .book("second")).bookIds == ["first", "second"])
    }

    @Test func removingOneBookNeverBreaksAnother() throws {
        let store = try openStore()
        let shared = SHA256Digest.test("shared")
        let own = SHA256Digest.test("own")
        let audio = SilentMP3.make(frames: 12)
        _ = try store.publish(audio, hash: shared, bookId: .book("keep"), metadata: sampleMetadata())
        _ = try store.publish(audio, hash: shared, bookId: .book("drop"), metadata: sampleMetadata())
        _ = try store.publish(SilentMP3.make(frames: 13), hash: own, bookId: .book("drop"), metadata: sampleMetadata())

        let removal = try #require(try store.removeBook(.book("drop")))
        #expect(removal.books == ["drop"])
        #expect(removal.links == 2)
        #expect(removal.assetsRemoved == 1, "only the audio no other book uses goes")
        #expect(removal.bytesFreed == SilentMP3.make(frames: 13).count)
        #expect(try store.removeBook(.book("drop")) == nil, "an unknown book removes nothing")
        #expect(try store.record(for: shared)?.bookIds == ["keep"])
        #expect(try store.record(for: own) == nil)
        #expect(try FileSystem.readFile(dir.sub("data/audio/keep/\(shared.hex).mp3")) == audio)
        #expect(!FileSystem.exists(dir.sub("data/audio/drop")))
        #expect(try store.index.hashes(forBook: .book("drop")).isEmpty)
        let report = try Fsck(store: store).run(repair: false)
        #expect(report.isClean, "\(report.problems)")
    }

    @Test func removeDeletesEveryLink() throws {
        let store = try openStore()
        let hash = SHA256Digest.test("gone")
        _ = try store.publish(SilentMP3.make(frames: 3), hash: hash, bookId: .book("a"), metadata: sampleMetadata())
        _ = try store.link(hash, to: .book("b"))
        let removal = try #require(try store.remove(hash))
        #expect(
            removal
                == {
                    var r = Removal()
                    r.books = ["a", "b"]
                    r.links = 2
                    r.assetsRemoved = 1
                    r.bytesFreed = SilentMP3.make(frames: 3).count
                    return r
                }())
        #expect(try store.record(for: hash) == nil)
        #expect(!FileSystem.exists(dir.sub("data/audio/a/\(hash.hex).mp3")))
        #expect(!FileSystem.exists(dir.sub("data/audio/b/\(hash.hex).mp3")))
        #expect(try store.remove(hash) == nil)
    }

    @Test func unlinkingTheLastBookFreesTheBytes() throws {
        let store = try openStore()
        let hash = SHA256Digest.test("two-books")
        let audio = SilentMP3.make(frames: 5)
        _ = try store.publish(audio, hash: hash, bookId: .book("a"), metadata: sampleMetadata())
        _ = try store.link(hash, to: .book("b"))
        let first = try #require(try store.unlink(hash, from: .book("a")))
        #expect(first.links == 1 && first.assetsRemoved == 0 && first.bytesFreed == 0)
        #expect(try store.unlink(hash, from: .book("a")) == nil)
        let last = try #require(try store.unlink(hash, from: .book("b")))
        #expect(last.assetsRemoved == 1 && last.bytesFreed == audio.count)
        #expect(try store.record(for: hash) == nil)
    }

    /// Whoever keeps descriptors open hears of every unlinked file, after it is unlinked, by every way of
    /// deleting: one book's link, a whole asset, a book, an eviction.
    @Test func everyUnlinkedFileIsHeardOfAfterItIsGone() throws {
        final class Heard: @unchecked Sendable {
            var hashes = [SHA256Digest]()
            var linksLeft = [Int]()
            let lock = NSLock()
        }
        let heard = Heard()
        let store = try openStore()
        store.linkRemovals.listen { hash in
            let remaining =
                (try? FileSystem.contents(of: self.dir.sub("data/audio")).flatMap { book in
                    (try? FileSystem.contents(of: self.dir.sub("data/audio/\(book)"))) ?? []
                }.filter { $0 == "\(hash.hex).mp3" }.count) ?? 0
            heard.lock.withLock {
                heard.hashes.append(hash)
                heard.linksLeft.append(remaining)
            }
        }
        let (one, two, three, four) = (
            SHA256Digest.test("one"), SHA256Digest.test("two"), SHA256Digest.test("three"), SHA256Digest.test("four")
        )
        for hash in [one, two, three, four] {
            _ = try store.publish(SilentMP3.make(frames: 3), hash: hash, bookId: .book("a"), metadata: sampleMetadata())
        }
        _ = try store.link(one, to: .book("b"))
        _ = try store.unlink(one, from: .book("a"))
        #expect(heard.hashes == [one])
        _ = try store.remove(one)
        #expect(heard.hashes == [one, one])
        #expect(try store.evict(two) != .absent)
        #expect(heard.hashes == [one, one, two])
        _ = try store.removeBook(.book("a"))
        #expect(heard.hashes.suffix(2).sorted { $0.hex < $1.hex } == [three, four].sorted { $0.hex < $1.hex })
        // Each was heard of once its own link was gone: only the first left a link (book b's of `one`).
        #expect(heard.linksLeft == [1, 0, 0, 0, 0])
        #expect(try store.remove(one) == nil && heard.hashes.count == 5)
    }

    @Test func invalidAudioStoresNothing() throws {
        let store = try openStore()
        let hash = SHA256Digest.test("bad")
        let truncated = Array(SilentMP3.make(frames: 10).dropLast(50))
        #expect(throws: StoreError.self) {
            _ = try store.publish(truncated, hash: hash, bookId: .book("b"), metadata: sampleMetadata())
        }
        #expect(throws: StoreError.invalidAudio(.noFrameSync)) {
            _ = try store.publish(Array("not audio".utf8), hash: hash, bookId: .book("b"), metadata: sampleMetadata())
        }
        #expect(try store.record(for: hash) == nil)
        #expect(!FileSystem.exists(dir.sub("data/audio/b/\(hash.hex).mp3")))
        #expect(try FileSystem.contents(of: dir.sub("data/tmp")).isEmpty)
    }

    @Test func anUnindexedLeftoverIsAdoptedNotOverwritten() throws {
        let store = try openStore()
        let hash = SHA256Digest.test("leftover")
        let earlier = SilentMP3.make(frames: 8, seed: 1)
        try FileSystem.makeDirectory(dir.sub("data/audio/b"))
        try Data(earlier).write(to: URL(fileURLWithPath: dir.sub("data/audio/b/\(hash.hex).mp3")))
        let record = try store.publish(
            SilentMP3.make(frames: 9, seed: 2), hash: hash, bookId: .book("b"),
            metadata: sampleMetadata())
        #expect(record.sha256 == SHA256Digest.of(earlier).hex)
        #expect(record.byteSize == earlier.count)
        #expect(try Fsck(store: store).run(repair: false).isClean)
    }

    @Test func anUnindexedNonAudioLeftoverIsQuarantined() throws {
        let store = try openStore()
        let hash = SHA256Digest.test("junk")
        try FileSystem.makeDirectory(dir.sub("data/audio/b"))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: dir.sub("data/audio/b/\(hash.hex).mp3")))
        let audio = SilentMP3.make(frames: 4)
        let record = try store.publish(audio, hash: hash, bookId: .book("b"), metadata: sampleMetadata())
        #expect(record.sha256 == SHA256Digest.of(audio).hex)
        #expect(try FileSystem.contents(of: dir.sub("data/quarantine")).count == 1)
    }

    @Test func temporaryFilesAreSweptAndCounted() throws {
        let store = try openStore()
        for name in ["x.part", "y.part"] {
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir.sub("data/tmp/\(name)")))
        }
        #expect(try store.sweepTemporaryFiles() == ["x.part", "y.part"])
        #expect(try FileSystem.contents(of: dir.sub("data/tmp")).isEmpty)
        #expect(try store.sweepTemporaryFiles().isEmpty)
    }

    @Test func concurrentPublishesOfOneHashAgree() async throws {
        let store = try openStore()
        let hash = SHA256Digest.test("race")
        let records = try await withThrowingTaskGroup(of: AssetRecord.self) { group in
            for i in 0..<16 {
                group.addTask {
                    try store.publish(
                        SilentMP3.make(frames: 20, seed: UInt8(i)), hash: hash,
                        bookId: .book("book\(i % 4)"), metadata: sampleMetadata())
                }
            }
            return try await group.reduce(into: [AssetRecord]()) { $0.append($1) }
        }
        #expect(Set(records.map(\.sha256)).count == 1)
        #expect(try store.record(for: hash)?.bookIds == ["book0", "book1", "book2", "book3"])
        #expect(try Fsck(store: store).run(repair: false).isClean)
    }
}

@Suite struct DataDirectoryLockTests {
    @Test func aSecondHolderIsRefusedWithTheFirstPID() throws {
        let dir = TemporaryDirectory()
        let first = try OpenedVault(root: dir.sub("data"))
        #expect(throws: OpenedVault.OpenError.self) { _ = try OpenedVault(root: dir.sub("data")) }
        do {
            _ = try DataDirectoryLock(path: dir.sub("data/voicevault.lock"))
            Issue.record("second lock succeeded")
        } catch let failure {
            #expect(failure == .held(path: dir.sub("data/voicevault.lock"), holder: "pid \(getpid())"))
            #expect(failure.description.contains("another voicevault process"))
        }
        withExtendedLifetime(first) {}
    }

    @Test func theLockIsReleasedWithItsOwner() throws {
        let dir = TemporaryDirectory()
        do { _ = try OpenedVault(root: dir.sub("data")) }
        #expect(throws: Never.self) { _ = try OpenedVault(root: dir.sub("data")) }
    }

    @Test func openingSweepsTemporaryFiles() throws {
        let dir = TemporaryDirectory()
        try DataDirectory(root: dir.sub("data")).prepare()
        try Data([0]).write(to: URL(fileURLWithPath: dir.sub("data/tmp/stale.part")))
        let vault = try OpenedVault(root: dir.sub("data"))
        #expect(vault.temporaryFilesFound == ["stale.part"])
        #expect(try FileSystem.contents(of: dir.sub("data/tmp")).isEmpty)
    }
}

/// Timings are committed with the record and removed with it.
@Suite struct AssetAlignmentStorageTests {
    @Test func timingsArePublishedAndRemovedWithTheirAsset() throws {
        let directory = TemporaryDirectory()
        let store = try AssetStore.open(directory: DataDirectory(root: directory.sub("data")))
        let spec = try SpeechSpec(text: "Hello there.", voiceId: "v")
        let alignment = SpeechAlignment.evenlySpread(spec.text, startMilliseconds: 0, endMilliseconds: 900)
        let mp3 = try InspectedMP3(SilentMP3.make(frames: 40))
        _ = try store.publishTimed(
            mp3, hash: spec.contentHash, bookId: .book("b"), metadata: AssetMetadata(spec: spec),
            alignment: alignment)
        #expect(try store.index.alignment(for: spec.contentHash) == alignment)
        // A second publication (another book) does not replace the first timings.
        _ = try store.publishTimed(
            mp3, hash: spec.contentHash, bookId: .book("c"), metadata: AssetMetadata(spec: spec),
            alignment: SpeechAlignment())
        #expect(try store.index.alignment(for: spec.contentHash) == alignment)
        try store.remove(spec.contentHash)
        #expect(try store.index.alignment(for: spec.contentHash) == nil)
        #expect(try store.index.schemaVersion == IndexSchema.current)
    }
}
