import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// The `audio` bucket as a view of the asset index, on a real data directory (LMDB files, hard links).
@Suite struct VoiceAssetBucketTests {
    let dir = TemporaryDirectory()

    func open() throws -> VoiceAssetBucket {
        VoiceAssetBucket(store: try AssetStore.open(directory: DataDirectory(root: dir.sub("data"))))
    }

    @discardableResult
    func publish(_ bucket: VoiceAssetBucket, _ seed: String, books: [String], frames: Int = 20) throws -> SHA256Digest {
        let hash = SHA256Digest.test(seed)
        for book in books {
            _ = try bucket.store.publish(
                SilentMP3.make(frames: frames), hash: hash, bookId: .book(book), metadata: sampleMetadata(),
                now: Date(timeIntervalSince1970: 1_700_000_000))
        }
        return hash
    }

    func inode(_ path: String) throws -> UInt64? { try FileSystem.status(path)?.inode }

    // MARK: Keys

    @Test(arguments: [
        ("b1/\(String(repeating: "a", count: 64)).mp3", true),
        ("book.one_2-x/\(String(repeating: "0", count: 64)).mp3", true),
        ("b1/\(String(repeating: "A", count: 64)).mp3", false),  // hashes are lowercase, as in /audio URLs
        ("b1/\(String(repeating: "a", count: 63)).mp3", false),
        ("b1/\(String(repeating: "a", count: 65)).mp3", false),
        ("b1/\(String(repeating: "a", count: 64)).MP3", false),
        ("b1/\(String(repeating: "a", count: 64))", false),
        ("\(String(repeating: "a", count: 64)).mp3", false),
        ("a/b1/\(String(repeating: "a", count: 64)).mp3", false),
        ("../\(String(repeating: "a", count: 64)).mp3", false),
        ("b 1/\(String(repeating: "a", count: 64)).mp3", false),
        ("/\(String(repeating: "a", count: 64)).mp3", false),
        ("b1/\(String(repeating: "g", count: 64)).mp3", false),
    ])
    func assetKeysAreExactlyBookSlashHashDotMP3(key: String, valid: Bool) {
        let parsed = VoiceAssetBucket.parseKey(key)
        #expect((parsed != nil) == valid)
        if let parsed { #expect(VoiceAssetBucket.key(book: parsed.book.value, hash: parsed.hash.hex) == key) }
    }

    @Test func objectIdIsUUIDShapedAndStablePerHash() {
        let hash = String(repeating: "0123456789abcdef", count: 4)
        #expect(VoiceAssetBucket.objectId(hash: hash) == "01234567-89ab-cdef-0123-456789abcdef")
        #expect(VoiceAssetBucket.objectId(hash: "short") == "short")
    }

    // MARK: Reads

    @Test func objectsAreTheAssetsAsEachReferencingBookSeesThem() throws {
        let bucket = try open()
        let hash = try publish(bucket, "one", books: ["alpha", "beta"])
        let record = try #require(try bucket.store.record(for: hash))
        let object = try #require(try bucket.object(key: "alpha/\(hash.hex).mp3"))
        #expect(object.bucket == "audio" && object.key == "alpha/\(hash.hex).mp3")
        #expect(object.size == record.byteSize && object.sha256 == record.sha256 && object.mimeType == "audio/mpeg")
        #expect(object.cacheControl == VoiceAssetBucket.cacheControl && object.createdAt == 1_700_000_000)
        let metadata = try #require(object.userMetadata.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(metadata["voiceId"] as? String == "voice1" && metadata["modelId"] as? String == "eleven_multilingual_v2")
        // The same file /audio serves: the book's own hard link.
        #expect(bucket.path(of: object) == bucket.store.directory.audioFile(book: .book("alpha"), hash: hash, format: OutputFormat.default))
        #expect(try bucket.object(key: "beta/\(hash.hex).mp3")?.id == object.id)
        #expect(try bucket.object(key: "gamma/\(hash.hex).mp3") == nil)  // a book that does not reference it
        #expect(try bucket.object(key: "alpha/\(SHA256Digest.test("other").hex).mp3") == nil)
        #expect(try bucket.object(key: "alpha/notes.txt") == nil)
    }

    @Test func listingShowsBooksAsFoldersAndAssetsInside() throws {
        let bucket = try open()
        let one = try publish(bucket, "one", books: ["a", "a-b", "a.c", "a0"])
        let two = try publish(bucket, "two", books: ["a"])
        let root = try bucket.listingContents(folder: "")
        #expect(Set(root.folders) == ["a", "a-b", "a.c", "a0"] && root.folders.count == 4 && root.objects.isEmpty)
        let inA = try bucket.listingContents(folder: "a/")
        #expect(Set(inA.objects.map(\.key)) == ["a/\(one.hex).mp3", "a/\(two.hex).mp3"] && inA.folders.isEmpty)
        #expect(try bucket.listingContents(folder: "a0/").objects.map(\.key) == ["a0/\(one.hex).mp3"])
        #expect(try bucket.listingContents(folder: "missing/").objects.isEmpty)
        #expect(try bucket.listingContents(folder: "a/deeper/").objects.isEmpty)

        let listing = ObjectListing(prefix: "")
        #expect(listing.entries(root.objects, knownFolders: root.folders).map(\.name) == ["a", "a-b", "a.c", "a0"])
        #expect(ObjectListing(prefix: "", search: "a.").entries([], knownFolders: root.folders).map(\.name) == ["a.c"])
    }

    @Test func bookIdsPageThroughEveryBookOnceWhateverTheirNames() throws {
        let bucket = try open()
        let books = ["a", "a-", "a-b", "a.", "a.c", "a0", "a_", "b", "B", "z9", "0"]
        _ = try publish(bucket, "one", books: books)
        _ = try publish(bucket, "two", books: ["a", "b"])
        let all = try bucket.store.index.bookIds()
        #expect(all.count == books.count && Set(all) == Set(books))
        var paged: [String] = []
        var after: String?
        while true {
            let page = try bucket.store.index.bookIds(after: after, limit: 3)
            if page.isEmpty { break }
            paged += page
            after = page.last
        }
        #expect(paged == all)
    }

    // MARK: Removal, copy, move

    @Test func removingAKeyDropsOnlyThatBooksReferenceAndLink() throws {
        let bucket = try open()
        let hash = try publish(bucket, "one", books: ["alpha", "beta"])
        let betaFile = bucket.store.directory.audioFile(book: .book("beta"), hash: hash, format: OutputFormat.default)
        let betaBytes = try FileSystem.readFile(betaFile)

        let removed = try bucket.remove(keys: ["alpha/\(hash.hex).mp3", "alpha/\(hash.hex).mp3", "nope/\(hash.hex).mp3", "junk"])
        #expect(removed.map(\.key) == ["alpha/\(hash.hex).mp3"])
        #expect(try bucket.store.record(for: hash)?.bookIds == ["beta"])
        #expect(try FileSystem.status(bucket.store.directory.audioFile(book: .book("alpha"), hash: hash, format: OutputFormat.default)) == nil)
        #expect(try FileSystem.readFile(betaFile) == betaBytes)
        #expect(try bucket.store.index.hashes(forBook: .book("alpha")).isEmpty)

        _ = try bucket.remove(keys: ["beta/\(hash.hex).mp3"])
        #expect(try bucket.store.record(for: hash) == nil)  // the last reference took the record with it
        #expect(try FileSystem.status(betaFile) == nil)
        let report = try Fsck(store: bucket.store).run(repair: false)
        #expect(report.isClean, "\(report.problems)")
    }

    @Test func copyIsAHardLinkToAnotherBookAndMoveAlsoUnlinksTheSource() throws {
        let bucket = try open()
        let hash = try publish(bucket, "one", books: ["alpha"])
        let source = "alpha/\(hash.hex).mp3"
        let copied = try bucket.copy(from: source, to: "beta/\(hash.hex).mp3", move: false)
        #expect(copied.key == "beta/\(hash.hex).mp3")
        let directory = bucket.store.directory
        #expect(
            try inode(directory.audioFile(book: .book("alpha"), hash: hash, format: OutputFormat.default)) == inode(directory.audioFile(book: .book("beta"), hash: hash, format: OutputFormat.default)))
        #expect(try bucket.store.record(for: hash)?.bookIds == ["alpha", "beta"])

        _ = try bucket.copy(from: source, to: "gamma/\(hash.hex).mp3", move: true)
        #expect(try bucket.store.record(for: hash)?.bookIds == ["beta", "gamma"])
        #expect(try bucket.object(key: source) == nil)

        #expect(throws: StorageCatalogError.objectExists(bucket: "audio", key: "beta/\(hash.hex).mp3")) {
            try bucket.copy(from: "gamma/\(hash.hex).mp3", to: "beta/\(hash.hex).mp3", move: false)
        }
        #expect(throws: StorageCatalogError.objectNotFound(bucket: "audio", key: source)) {
            try bucket.copy(from: source, to: "delta/\(hash.hex).mp3", move: false)
        }
        let other = SHA256Digest.test("other").hex
        #expect(throws: VoiceAssetBucket.Refusal.differentContent(source: "beta/\(hash.hex).mp3", destination: "delta/\(other).mp3")) {
            try bucket.copy(from: "beta/\(hash.hex).mp3", to: "delta/\(other).mp3", move: false)
        }
        #expect(throws: VoiceAssetBucket.Refusal.notAnAssetKey("delta/x.mp3")) {
            try bucket.copy(from: "beta/\(hash.hex).mp3", to: "delta/x.mp3", move: false)
        }
    }

    @Test(.timeLimit(.minutes(1))) func emptyPassesOverABookItCannotRemoveInsteadOfLooping() throws {
        let bucket = try open()
        try publish(bucket, "good", books: ["good"])
        var damaged = try #require(try bucket.store.record(for: SHA256Digest.test("good")))
        damaged.contentHash = SHA256Digest.test("damaged").hex
        damaged.bookIds = ["not a valid id"]  // only a damaged or hand-edited index holds such a name
        try bucket.store.index.upsert([damaged])
        #expect(try bucket.empty() == 1)
        #expect(try bucket.store.index.bookIds() == ["not a valid id"])  // left for fsck to report
    }

    @Test func emptyRemovesEveryBooksReferences() throws {
        let bucket = try open()
        for index in 0..<5 { _ = try publish(bucket, "asset\(index)", books: ["b\(index)", "shared"]) }
        #expect(try bucket.empty() == 10)
        #expect(try bucket.store.index.count() == 0)
        #expect(try bucket.store.index.bookIds().isEmpty)
        #expect(try bucket.listingContents(folder: "").folders.isEmpty)
    }
}
