import Foundation
import VaultCore

/// Pre-generation job bookkeeping for the crash test: one job of 40 items in a `JobCatalog` (`<data>/jobs.sqlite`,
/// or a cluster's catalog with `--cluster yes`), created once, then its items finished one by one in order (each `characters` = its sequence number, so a value
/// from another item would show), printing `finished <seq>` after each commit. A kill anywhere must leave
/// every printed item finished and the finished items a prefix of the job, with nothing half-recorded.
struct JobsDrill {
    static let jobId = "drill-job"
    static let items = 40

    let store: any JobCatalog

    func run() async throws {
        if try await store.job(Self.jobId) == nil {
            let manifest = JobManifest(
                bookId: "drill-book", chapters: (0..<(Self.items / 2)).map { .init(chapterId: "ch-\($0)", text: "Chapter \($0).") },
                voices: ["v0", "v1"])
            let planned = try manifest.items(maximumTextCharacters: 1000)
            try await store.create(
                id: Self.jobId, book: planned.book, manifest: manifest, items: planned.items, now: Date().timeIntervalSince1970)
        }
        FileHandle.standardOutput.write(Data("ready\n".utf8))
        while let next = try await store.nextPending(Self.jobId) {
            try await store.finish(
                Self.jobId, seq: next.seq, state: next.seq % 2 == 0 ? .generated : .cached, characters: next.seq,
                seconds: 0.5, now: Date().timeIntervalSince1970)
            FileHandle.standardOutput.write(Data("finished \(next.seq)\n".utf8))
        }
    }
}
