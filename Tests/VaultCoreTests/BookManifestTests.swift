import Testing
import VaultTestSupport
@testable import VaultCore

/// The pure parts of books: natural order, what a link records, the reading order and the playlist text.
@Suite struct BookManifestTests {
    @Test(arguments: [
        ("ch-2", "ch-10", true), ("ch-10", "ch-2", false), ("ch-2", "ch-2", false), ("a", "b", true), ("b", "a", false),
        ("ch-01", "ch-1", true), ("ch-1", "ch-01", false), ("ch-1", "ch-1a", true), ("ch-1a", "ch-1", false),
        ("ch", "ch-1", true), ("2", "10", true), ("10", "9", false), ("x9y", "x10y", true), ("", "a", true), ("a", "", false),
        ("Z", "a", true), ("part-2-ch-10", "part-2-ch-9", false), ("part-10-ch-1", "part-9-ch-1", false),
        ("99999999999999999999999999", "100000000000000000000000000", true), ("0", "00", true), ("00", "0", false),
    ])
    func naturalOrder(_ a: String, _ b: String, _ precedes: Bool) {
        #expect(NaturalOrder.precedes(a, b) == precedes)
    }

    @Test func naturalOrderIsATotalOrder() {
        let names = ["ch-1", "ch-01", "ch-001", "ch-2", "ch-10", "ch-1a", "ch", "Ch-1", "", "0", "00", "ch-1-2", "ch-1-10"]
        for a in names {
            #expect(!NaturalOrder.precedes(a, a))
            for b in names where a != b {
                #expect(NaturalOrder.precedes(a, b) != NaturalOrder.precedes(b, a), "\(a) \(b)")
                for c in names where NaturalOrder.precedes(a, b) && NaturalOrder.precedes(b, c) {
                    #expect(NaturalOrder.precedes(a, c), "\(a) < \(b) < \(c)")
                }
            }
        }
    }

    @Test(arguments: [
        BookLink(), BookLink(chapterId: "ch-1"), BookLink(chapterIndex: 0), BookLink(chapterTitle: "Ünïcode — title"),
        BookLink(chapterId: "ch-1", chapterIndex: BookLink.maximumIndex, chapterTitle: String(repeating: "t", count: 300)),
    ])
    func aLinkSurvivesItsEncoding(_ link: BookLink) {
        #expect(BookLink(encoded: link.encoded) == link)
        #expect(link.encoded.isEmpty == link.isEmpty)
    }

    @Test func bytesThisBuildDidNotWriteAreNoLink() {
        let good = BookLink(chapterId: "ch-1", chapterIndex: 3, chapterTitle: "One").encoded
        #expect(BookLink(encoded: [2] + good.dropFirst()) == nil)
        for cut in 1..<good.count { #expect(BookLink(encoded: good.prefix(cut)) == nil, "cut at \(cut)") }
        #expect(BookLink(encoded: good + [0]) == nil)
        #expect(BookLink(encoded: [1, 7, 0, 0]) == nil)
    }

    @Test func requestsAreCheckedAgainstTheBounds() throws {
        #expect(throws: BookLink.Invalid.self) { try BookLink.checked(chapterId: nil, chapterIndex: -1, chapterTitle: nil) }
        #expect(throws: BookLink.Invalid.self) { try BookLink.checked(chapterId: nil, chapterIndex: 1_000_000, chapterTitle: nil) }
        #expect(throws: BookLink.Invalid.self) {
            try BookLink.checked(chapterId: nil, chapterIndex: nil, chapterTitle: String(repeating: "é", count: 151))
        }
        #expect(throws: BookLink.Invalid.self) { try BookLink.checked(chapterId: nil, chapterIndex: nil, chapterTitle: "two\nlines") }
        #expect(try BookLink.checked(chapterId: "c", chapterIndex: 0, chapterTitle: "") == BookLink(chapterId: "c", chapterIndex: 0))
    }

    static func entry(_ seed: String, chapter: String?, index: Int? = nil, title: String? = nil, voice: String = "v1", created: Double)
        -> BookEntry
    {
        BookEntry(
            record: AssetRecord(
                contentHash: SHA256Digest.test(seed).hex, bookIds: ["book"], voiceId: voice, modelId: "m", outputFormat: "mp3_44100_128",
                byteSize: 100, sha256: SHA256Digest.test("bytes " + seed).hex, durationSeconds: Double(seed.count), wordCount: 1,
                characterCount: 1, createdAt: created, upstreamRequestId: nil, characterCost: nil, origin: .generated),
            link: BookLink(chapterId: chapter, chapterIndex: index, chapterTitle: title), hasAlignment: seed.count % 2 == 0)
    }

    @Test func chaptersAreInReadingOrderWithTheirRenditionsGrouped() {
        let manifest = BookManifest(
            bookId: "book",
            entries: [
                Self.entry("loose later", chapter: nil, created: 20), Self.entry("ten", chapter: "ch-10", created: 1),
                Self.entry("two", chapter: "ch-2", title: "Two, old", created: 2),
                Self.entry("two again", chapter: "ch-2", title: "Two", voice: "v2", created: 5),
                Self.entry("epilogue", chapter: "epilogue", index: 99, created: 3),
                Self.entry("prologue", chapter: "prologue", index: 0, title: "Prologue", created: 4),
                Self.entry("loose", chapter: nil, created: 10), Self.entry("tied", chapter: "a-tie", index: 99, created: 6),
            ])
        #expect(manifest.chapters.map { $0.chapterId ?? "-" } == ["prologue", "a-tie", "epilogue", "ch-2", "ch-10", "-", "-"])
        let two = manifest.chapters[3]
        #expect(two.renditions.map(\.voiceId) == ["v2", "v1"], "newest first")
        #expect(two.title == "Two")
        #expect(manifest.chapters[5].renditions.first?.contentHash == SHA256Digest.test("loose").hex, "loose assets oldest first")
        // The playlist takes one rendition per chapter: the newest matching the filters.
        #expect(manifest.playlist(voiceId: "v1", modelId: nil, outputFormat: nil).map { $0.rendition.voiceId }.allSatisfy { $0 == "v1" })
        #expect(manifest.playlist(voiceId: "v2", modelId: nil, outputFormat: nil).map { $0.chapter.chapterId } == ["ch-2"])
        #expect(manifest.playlist(voiceId: nil, modelId: nil, outputFormat: nil).count == 7)
        #expect(manifest.playlist(voiceId: nil, modelId: "other", outputFormat: nil).isEmpty)
        // The smallest index among a chapter's renditions is the chapter's.
        let mixed = BookManifest(
            bookId: "b",
            entries: [
                Self.entry("x", chapter: "c", index: 5, created: 1), Self.entry("y", chapter: "c", index: 2, voice: "v2", created: 2),
                Self.entry("z", chapter: "d", index: 3, created: 3),
            ])
        #expect(mixed.chapters.map(\.chapterIndex) == [2, 3])
    }

    @Test func thePlaylistIsExtendedM3UOneLinePerField() {
        let text = ExtendedM3U(entries: [
            .init(durationSeconds: 73.4, title: "One, with a comma", url: "/audio/b/1.mp3"),
            .init(durationSeconds: 12, title: "Two\nlines", url: "/audio/b/2.mp3"),
            .init(durationSeconds: 0.0004, title: "Short", url: "/audio/b/3.mp3"),
        ]).text
        #expect(
            text == """
                #EXTM3U
                #EXTINF:73.4,One, with a comma
                /audio/b/1.mp3
                #EXTINF:12,Two lines
                /audio/b/2.mp3
                #EXTINF:0,Short
                /audio/b/3.mp3

                """)
        #expect(ExtendedM3U.decimal(1.2345) == "1.235" || ExtendedM3U.decimal(1.2345) == "1.234")
        #expect(ExtendedM3U.decimal(2.05) == "2.05")
    }
}
