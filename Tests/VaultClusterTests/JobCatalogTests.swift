import Foundation
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// Pre-generation jobs, embedded (SQLite) and in PostgreSQL, held to one contract; and the runner's lease, one
/// node at a time.
@Suite struct JobCatalogTests {
    static let logger = Logger(label: "job-catalog-test")

    static func manifest(chapters: Int = 2, voices: [String] = ["voiceA", "voiceB"]) -> JobManifest {
        JobManifest(
            bookId: "book-1", chapters: (0..<chapters).map { .init(chapterId: "ch-\($0)", text: "Chapter \($0) text.") },
            voices: voices)
    }

    /// What every `JobCatalog` must do.
    static func holdsTheContract(_ jobs: any JobCatalog) async throws {
        #expect(try await jobs.job("none") == nil)
        #expect(try await jobs.runnable(now: 0) == [])
        #expect(try await jobs.nextResume() == nil)
        #expect(try await jobs.setStatus("none", .cancelled, now: 1) == nil)

        let manifest = Self.manifest()
        let planned = try manifest.items(maximumTextCharacters: 1000)
        try await jobs.create(id: "j1", book: planned.book, manifest: manifest, items: planned.items, now: 100)
        let job = try #require(try await jobs.job("j1"))
        #expect(job.bookId == "book-1" && job.status == .queued && job.createdAt == 100 && job.manifest == manifest)
        #expect(try await jobs.runnable(now: 100) == ["j1"])
        let first = try #require(try await jobs.nextPending("j1"))
        #expect(first.seq == 0 && first.voiceId == "voiceA" && first.chapterIndex == 0)
        try await jobs.finish("j1", seq: 0, state: .generated, characters: 15, seconds: 2, contentHash: "h", now: 101)
        try await jobs.finish("j1", seq: 1, state: .cached, now: 102)
        try await jobs.finish("j1", seq: 2, state: .failed, code: "voice_not_found", now: 103)
        #expect(
            try await jobs.counts("j1")
                == .init(total: 4, pending: 1, generated: 1, cached: 1, failed: 1, charactersSpent: 15, generatedSeconds: 2))
        #expect(try await jobs.failures("j1") == [.init(chapterId: "ch-0", voiceId: "voiceB", code: "voice_not_found")])
        #expect(try await jobs.nextPending("j1")?.seq == 3)
        #expect(try await jobs.voiceOrder("j1") == ["voiceA", "voiceB"])
        #expect(try await jobs.job("j1")?.updatedAt == 103)

        // Paused jobs wait for their time; finished ones keep their status.
        #expect(try await jobs.setStatus("j1", .paused, resumeAt: 500, now: 104) == .paused)
        #expect(try await jobs.runnable(now: 499).isEmpty)
        #expect(try await jobs.nextResume() == 500)
        #expect(try await jobs.runnable(now: 500) == ["j1"])
        #expect(try await jobs.setStatus("j1", .cancelled, now: 105) == .cancelled)
        #expect(try await jobs.setStatus("j1", .running, now: 106) == .cancelled)
        #expect(try await jobs.runnable(now: 1_000).isEmpty)

        // A second job: listed newest first; runnable oldest first.
        try await jobs.create(id: "j2", book: planned.book, manifest: manifest, items: planned.items, now: 200)
        try await jobs.create(id: "j3", book: planned.book, manifest: manifest, items: planned.items, now: 150)
        #expect(try await jobs.jobs().map(\.id) == ["j2", "j3", "j1"])
        #expect(try await jobs.jobs(limit: 1).map(\.id) == ["j2"])
        #expect(try await jobs.runnable(now: 300) == ["j3", "j2"])
        #expect(try await jobs.setStatus("j2", .done, now: 201) == .done)
        #expect(try await jobs.setStatus("j2", .queued, now: 202) == .done)

        // A job is created whole or not at all: a second job under a taken id leaves the first as it was.
        await #expect(throws: (any Error).self) {
            try await jobs.create(id: "j3", book: planned.book, manifest: manifest, items: planned.items + planned.items, now: 300)
        }
        #expect(try await jobs.counts("j3").total == 4)

        // A book's worth of items in one job.
        let large = Self.manifest(chapters: 1_300)
        let many = try large.items(maximumTextCharacters: 1000)
        try await jobs.create(id: "j4", book: many.book, manifest: large, items: many.items, now: 400)
        #expect(try await jobs.counts("j4").pending == 2_600)
        #expect(try await jobs.nextPending("j4")?.seq == 0)
    }

    @Test func theEmbeddedJobCatalogHoldsTheContract() async throws {
        let directory = TemporaryDirectory("vv-jobs")
        try await Self.holdsTheContract(EmbeddedJobCatalog(store: try JobStore(path: directory.sub("jobs.sqlite"))))
    }

    @Test func thePostgreSQLJobCatalogHoldsTheContract() async throws {
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            try await Self.holdsTheContract(PostgresJobCatalog(client: client, logger: Self.logger))
        }
    }

    /// One node at a time holds the runner's role: four try at once and one has it; released, another takes
    /// it; its holder's session ended (its node died), the role is free again and the old holder knows.
    @Test func theRunnersLeaseIsOneNodesAtATime() async throws {
        let url = try await PostgreSQL.shared().createDatabase()
        let catalog = try CatalogURL(parsing: url)
        let leases = (0..<4).map { _ in PostgresLease(catalog: catalog, role: .jobRunner, logger: Self.logger) }
        let taken = try await withThrowingTaskGroup(of: (any ClusterLease)?.self) { group in
            for lease in leases { group.addTask { try await lease.take() } }
            var held: [any ClusterLease] = []
            for try await lease in group { if let lease { held.append(lease) } }
            return held
        }
        #expect(taken.count == 1)
        let first = try #require(taken.first)
        #expect(first.isHeld)
        #expect(try await leases[0].take() == nil)
        await first.release()
        let second = try #require(try await leases[1].take())
        try await terminateAdvisoryLockHolders(catalog, keyForm: 1)
        var third: (any ClusterLease)?
        try await waitUntil("another node takes the role over") {
            third = try await leases[2].take()
            return third != nil
        }
        try await waitUntil("the old holder knows it lost the role") { !second.isHeld }
        await second.release()
        await third?.release()
    }
}
