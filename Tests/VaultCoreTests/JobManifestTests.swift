import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// Pre-generation manifests, the voice order, the progress estimate and the job store: pure rules and real
/// SQLite.
@Suite struct JobManifestTests {
    static func manifest(voices: [String] = ["voiceA", "voiceB"], chapters: Int = 2) -> JobManifest {
        JobManifest(
            bookId: "book-1", chapters: (0..<chapters).map { .init(chapterId: "ch-\($0)", text: "Chapter \($0) text.") },
            voices: voices)
    }

    @Test func aManifestBecomesOneItemPerChapterAndVoiceInVoiceOrder() throws {
        let planned = try Self.manifest().items(voiceOrder: ["voiceB", "voiceA"], maximumTextCharacters: 1000)
        #expect(planned.book == .book("book-1"))
        #expect(
            planned.items.map { "\($0.voiceId)/\($0.chapterId.value)" } == ["voiceB/ch-0", "voiceB/ch-1", "voiceA/ch-0", "voiceA/ch-1"])
        #expect(planned.items[0].spec == (try SpeechSpec(text: "Chapter 0 text.", voiceId: "voiceB")))
        // Settings apply to every item; a rate is speed.
        var slow = Self.manifest(voices: ["voiceA"], chapters: 1)
        slow.speakingRate = 0.9
        #expect(try slow.items(maximumTextCharacters: 1000).items[0].spec.voiceSettings == (try VoiceSettings(speed: 0.9)))
    }

    /// One way to spoil a manifest, by number, and the code it must be refused with.
    static func spoil(_ number: Int, _ m: inout JobManifest) -> String {
        switch number {
        case 0:
            m.bookId = "a/b"
            return "invalid_book_id"
        case 1:
            m.chapters = []
            return "no_chapters"
        case 2:
            m.voices = []
            return "no_voices"
        case 3:
            m.voices = ["v", "v"]
            return "invalid_voices"
        case 4:
            m.voices = ["bad voice"]
            return "invalid_voice_id"
        case 5:
            m.chapters[1].chapterId = "ch-0"
            return "duplicate_chapter"
        case 6:
            m.chapters[1].chapterId = ""
            return "invalid_chapter_id"
        case 7:
            m.chapters[1].text = "  "
            return "empty_text"
        case 8:
            m.chapters[1].text = String(repeating: "a", count: 2000)
            return "text_too_long"
        case 9:
            m.format = "pcm_16000"
            return "unknown_format"
        case 10:
            m.speakingRate = 5
            return "setting_out_of_range"
        default:
            m.speakingRate = 1
            m.voiceSettings = .init(speed: 0.9)
            return "conflicting_fields"
        }
    }

    @Test(arguments: 0...11)
    func aManifestThatCannotRunIsRefusedWhole(number: Int) {
        var manifest = Self.manifest()
        let code = Self.spoil(number, &manifest)
        #expect(throws: JobManifest.Invalid.self) { try manifest.items(maximumTextCharacters: 1000) }
        do { _ = try manifest.items(maximumTextCharacters: 1000) } catch { #expect(error.code == code, "\(error)") }
    }

    @Test func theMostRequestedVoicesGoFirstAndTiesKeepTheManifestOrder() {
        #expect(JobManifest.voiceOrder(["a", "b", "c"], requests: ["c": 10, "b": 3]) == ["c", "b", "a"])
        #expect(JobManifest.voiceOrder(["a", "b", "c"], requests: [:]) == ["a", "b", "c"])
        #expect(JobManifest.voiceOrder(["a", "b", "c"], requests: ["b": 1, "c": 1]) == ["b", "c", "a"])
    }

    @Test func theEstimateIsPendingTimesTheMeanGeneration() {
        #expect(JobProgress.estimate(pending: 4, generated: 2, seconds: 3, active: true) == 6)
        #expect(JobProgress.estimate(pending: 4, generated: 0, seconds: 0, active: true) == nil)
        #expect(JobProgress.estimate(pending: 0, generated: 5, seconds: 9, active: true) == 0)
        #expect(JobProgress.estimate(pending: 4, generated: 2, seconds: 3, active: false) == nil)
    }

    @Test func theStoreKeepsItemsAndStatusesAcrossReopening() throws {
        let directory = TemporaryDirectory("vv-jobs")
        let path = directory.sub("jobs.sqlite")
        let planned = try Self.manifest().items(maximumTextCharacters: 1000)
        do {
            let store = try JobStore(path: path)
            try store.create(id: "j1", book: planned.book, manifest: Self.manifest(), items: planned.items, now: 100)
            #expect(try store.runnable(now: 100) == ["j1"])
            let first = try #require(try store.nextPending("j1"))
            #expect(first.seq == 0 && first.voiceId == "voiceA" && first.chapterIndex == 0)
            try store.finish("j1", seq: 0, state: .generated, characters: 15, seconds: 2, contentHash: "h", now: 101)
            try store.finish("j1", seq: 1, state: .cached, now: 102)
            try store.finish("j1", seq: 2, state: .failed, code: "voice_not_found", now: 103)
        }
        let store = try JobStore(path: path)
        let counts = try store.counts("j1")
        #expect(counts == .init(total: 4, pending: 1, generated: 1, cached: 1, failed: 1, charactersSpent: 15, generatedSeconds: 2))
        #expect(try store.failures("j1") == [.init(chapterId: "ch-0", voiceId: "voiceB", code: "voice_not_found")])
        #expect(try store.nextPending("j1")?.seq == 3)
        #expect(try store.voiceOrder("j1") == ["voiceA", "voiceB"])
        // Paused jobs wait for their time; finished ones keep their status.
        #expect(try store.setStatus("j1", .paused, resumeAt: 500, now: 104) == .paused)
        #expect(try store.runnable(now: 499).isEmpty)
        #expect(try store.nextResume() == 500)
        #expect(try store.runnable(now: 500) == ["j1"])
        #expect(try store.setStatus("j1", .cancelled, now: 105) == .cancelled)
        #expect(try store.setStatus("j1", .running, now: 106) == .cancelled)
        #expect(try store.runnable(now: 1000).isEmpty)
        #expect(try store.job("j1")?.manifest == Self.manifest())
        #expect(try store.job("nope") == nil)
    }
}
