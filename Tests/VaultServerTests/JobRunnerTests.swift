import Foundation
import ServiceLifecycle
import Synchronization
import Testing
import VaultCore
import VaultTestSupport
@testable import VaultServer
import Logging

/// The job runner in process, with a gated synthesizer and an upstream load the test controls: gates, not
/// sleeps, for "waits for room", "cancelled", "paused by the budget" and "finishes its item at shutdown".
@Suite struct JobRunnerTests {
    /// An upstream whose room the test decides; it counts how often the runner asked.
    final class SwitchableLoad: UpstreamLoad {
        let room = Atomic<Bool>(false)
        let asked = Atomic<Int>(0)
        func hasRoomForBackground() async -> Bool {
            asked.add(1, ordering: .relaxed)
            return room.load(ordering: .relaxed)
        }
    }

    struct Bed {
        let directory = TemporaryDirectory("vv-jobrunner")
        let synthesizer: GatedSynthesizer
        let voice: VoiceService
        let runner: JobRunner
        let jobs: JobStore

        init(open: Bool, load: (any UpstreamLoad)?, budget: Int? = nil) throws {
            synthesizer = GatedSynthesizer(open: open)
            let store = try AssetStore.open(directory: DataDirectory(root: directory.sub("data")))
            voice = VoiceService(store: store, synthesizer: synthesizer, dailyCharacterBudget: budget)
            jobs = try JobStore(path: directory.sub("jobs.sqlite"))
            runner = JobRunner(
                jobs: EmbeddedJobCatalog(store: jobs), voice: voice, load: load, maximumTextCharacters: 10_000,
                logger: Logger(label: "test"))
        }

        func submit(_ id: String, chapters: Int, voices: [String] = ["voiceA"]) throws {
            let manifest = JobManifest(
                bookId: "book-\(id)", chapters: (0..<chapters).map { .init(chapterId: "c\($0)", text: "Job \(id) chapter \($0).") },
                voices: voices)
            let planned = try manifest.items(maximumTextCharacters: 10_000)
            try jobs.create(id: id, book: planned.book, manifest: manifest, items: planned.items, now: Date().timeIntervalSince1970)
            runner.wake()
        }
    }

    @Test func anItemStartsOnlyWhenTheUpstreamHasRoomForBackgroundWork() async throws {
        let load = SwitchableLoad()
        let bed = try Bed(open: true, load: load)
        let running = Task { try await bed.runner.run() }
        defer { running.cancel() }
        try bed.submit("j1", chapters: 2)
        // The runner is asking, and being told no: nothing may reach the upstream.
        try await waitUntil("the runner asks for room") { load.asked.load(ordering: .relaxed) >= 3 }
        #expect(bed.synthesizer.entered == 0)
        #expect(try bed.jobs.counts("j1").pending == 2)
        load.room.store(true, ordering: .relaxed)
        try await waitUntil("the job is done") { try bed.jobs.job("j1")?.status == .done }
        #expect(bed.synthesizer.entered == 2)
        #expect(try bed.jobs.counts("j1").generated == 2)
    }

    @Test func aCancelledJobStartsNoFurtherItemAndCachedItemsCostNothing() async throws {
        let bed = try Bed(open: false, load: nil)
        let running = Task { try await bed.runner.run() }
        defer { running.cancel() }
        try bed.submit("j1", chapters: 3)
        try await waitUntil("the first item is at the upstream") { bed.synthesizer.entered == 1 }
        #expect(try bed.jobs.setStatus("j1", .cancelled, now: Date().timeIntervalSince1970) == .cancelled)
        bed.synthesizer.open()
        try await waitUntil("the item in flight is finished") { try bed.jobs.counts("j1").generated == 1 }
        // A second job of the same book and texts: its first chapter is cached, the others are generated; the
        // cancelled job's remaining items never run.
        let manifest = JobManifest(
            bookId: "book-j1", chapters: (0..<3).map { .init(chapterId: "c\($0)", text: "Job j1 chapter \($0).") },
            voices: ["voiceA"])
        let planned = try manifest.items(maximumTextCharacters: 10_000)
        try bed.jobs.create(id: "j2", book: planned.book, manifest: manifest, items: planned.items, now: Date().timeIntervalSince1970)
        bed.runner.wake()
        try await waitUntil("the second job is done") { try bed.jobs.job("j2")?.status == .done }
        let second = try bed.jobs.counts("j2")
        #expect(second.cached == 1 && second.generated == 2)
        #expect(second.charactersSpent == ("Job j1 chapter 1.".count + "Job j1 chapter 2.".count))
        #expect(try bed.jobs.counts("j1").pending == 2)
        #expect(try bed.jobs.job("j1")?.status == .cancelled)
        #expect(bed.synthesizer.entered == 3)
    }

    @Test func aSpentBudgetPausesTheJobUntilTheNextDay() async throws {
        // Room for one chapter of 17 characters, not two.
        let bed = try Bed(open: true, load: nil, budget: 20)
        let running = Task { try await bed.runner.run() }
        defer { running.cancel() }
        try bed.submit("j1", chapters: 3)
        try await waitUntil("the job pauses") { try bed.jobs.job("j1")?.status == .paused }
        let job = try #require(try bed.jobs.job("j1"))
        #expect(job.resumeAt == JobRunner.nextUTCDay(after: Date().timeIntervalSince1970))
        #expect(try bed.jobs.counts("j1").generated == 1)
        #expect(try bed.jobs.counts("j1").pending == 2)
        #expect(try bed.jobs.failures("j1").isEmpty, "a spent budget is a pause, not a failure")
        #expect(JobRunner.nextUTCDay(after: 86_400 * 3 + 5) == 86_400 * 4)
        #expect(JobRunner.nextUTCDay(after: 86_400 * 3) == 86_400 * 4)
    }

    @Test func gracefulShutdownFinishesTheItemInFlight() async throws {
        let bed = try Bed(open: false, load: nil)
        let group = ServiceGroup(configuration: .init(services: [.init(service: bed.runner)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        try bed.submit("j1", chapters: 3)
        try await waitUntil("the first item is at the upstream") { bed.synthesizer.entered == 1 }
        await group.triggerGracefulShutdown()
        bed.synthesizer.open()
        try await running.value
        // The item in flight was stored and recorded; nothing else started; the job resumes from item 2.
        #expect(try bed.jobs.counts("j1").generated == 1)
        #expect(try bed.jobs.nextPending("j1")?.seq == 1)
        #expect(bed.synthesizer.entered == 1)
        #expect(try bed.jobs.runnable(now: Date().timeIntervalSince1970) == ["j1"])
    }
}
