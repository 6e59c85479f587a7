import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// The races an admin delete can meet, in-process with gates: each one's winner is defined
/// (Docs/OPERATIONS.md, "Deleting audio") and the index never names a missing file.
@Suite struct DeletionRaceTests {
    let directory = TemporaryDirectory()

    func openStore() throws -> AssetStore {
        try AssetStore.open(directory: DataDirectory(root: directory.path))
    }

    /// A delete that arrives while the audio is still being generated finds nothing to delete (404): the
    /// generation, already paid for, publishes afterwards and wins. Deleting paid audio the moment it lands
    /// would only make the next request pay again.
    @Test func aGenerationInFlightWinsOverADeleteOfItsHash() async throws {
        let store = try openStore()
        let synthesizer = GatedSynthesizer()
        let tally = UsageTally()
        let service = VoiceService(store: store, synthesizer: synthesizer, dailyCharacterBudget: nil, events: tally)
        let spec = try SpeechSpec(text: "Generated while deleted.", voiceId: "voice1")
        let request = Task { try await service.voice(spec, bookId: .book("book")) }
        while synthesizer.entered == 0 { await Task.yield() }
        // The flight is visible to the operator while it waits.
        let flights = await service.flightSnapshot()
        #expect(flights.map(\.hash) == [spec.contentHash])
        #expect(flights.first?.waiters == 1)

        #expect(try store.remove(spec.contentHash) == nil)
        #expect(try store.removeBook(.book("book")) == nil)
        synthesizer.open()
        let outcome = try await request.value
        #expect(outcome.cached == false)
        #expect(try store.record(for: spec.contentHash) != nil)
        #expect(FileSystem.exists(store.directory.audioFile(book: .book("book"), hash: spec.contentHash, format: OutputFormat.default)))
        #expect(tally.snapshot.generations == 1)
        #expect(await service.flightSnapshot().isEmpty)
    }

    /// Links into other books and deletes of the same asset, all at once: each takes the asset's lock, so one
    /// happens wholly before the other. Whatever the order, the index never names a missing file, and a
    /// request whose asset vanished while it linked generates it again rather than failing.
    @Test func deletesDuringCrossBookLinksLeaveAConsistentStore() async throws {
        let store = try openStore()
        let service = VoiceService(store: store, synthesizer: GatedSynthesizer(open: true), dailyCharacterBudget: nil)
        let spec = try SpeechSpec(text: "Linked and deleted at once.", voiceId: "voice1")
        _ = try await service.voice(spec, bookId: .book("origin"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for round in 0..<40 {
                group.addTask { _ = try await service.voice(spec, bookId: .book("reader-\(round % 8)")) }
                group.addTask {
                    try await BlockingIO.run {
                        if round % 2 == 0 {
                            _ = try store.remove(spec.contentHash)
                        } else {
                            _ = try store.removeBook(.book("reader-\(round % 8)"))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let report = try Fsck(store: store).run(repair: false)
        #expect(report.problems.filter(\.violatesInvariant).isEmpty, "\(report.problems)")
        if let record = try store.record(for: spec.contentHash) {
            for book in record.bookIds {
                #expect(
                    FileSystem.exists(store.directory.audioFile(book: try StorageIdentifier(book, kind: .bookId), hash: spec.contentHash, format: OutputFormat.default)))
            }
        }
    }

    /// A follower waiting on a flight counts as a waiter, and leaves the count when the flight ends.
    @Test func flightsReportTheirWaiters() async throws {
        let store = try openStore()
        let synthesizer = GatedSynthesizer()
        let service = VoiceService(store: store, synthesizer: synthesizer, dailyCharacterBudget: nil)
        let spec = try SpeechSpec(text: "Many readers, one generation.", voiceId: "voice1")
        let requests = (0..<5).map { index in Task { try await service.voice(spec, bookId: .book("book-\(index)")) } }
        while await service.flightSnapshot().first?.waiters != 5 { await Task.yield() }
        synthesizer.open()
        for request in requests { _ = try await request.value }
        #expect(synthesizer.entered == 1)
        #expect(await service.flightSnapshot().isEmpty)
    }
}
