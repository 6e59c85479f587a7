import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// Pre-generation jobs on a live server against the fake ElevenLabs: the most requested voice first, chapters
/// already cached not paid for, `voicevault pregenerate` following a job to the end, and a job that resumes
/// after SIGTERM without paying twice for any chapter.
@Suite struct PregenerationTests {
    static let admin = "jobs-admin-token"
    static let rachel = "21m00Tcm4TlvDq8ikWAM"
    static let adam = "pNInz6obpgDQGcFmaJgB"

    static func manifest(book: String, chapters: Int, voices: [String]) -> String {
        let list = (0..<chapters).map { #"{"chapterId":"c\#($0)","text":"Pregenerated \#(book) chapter \#($0)."}"# }.joined(separator: ",")
        return #"{"bookId":"\#(book)","chapters":[\#(list)],"voices":[\#(voices.map { "\"\($0)\"" }.joined(separator: ","))]}"#
    }

    /// Texts the fake was asked to speak, with how many times each.
    static func spoken(_ testbed: VoiceTestbed) async throws -> [String: Int] {
        let bodies =
            try JSONSerialization.jsonObject(with: Data(try await httpRequest("GET", testbed.fake.baseURL + "/_fake/requests").body.utf8))
            as? [[String: Any]] ?? []
        return Dictionary(bodies.compactMap { $0["text"] as? String }.map { ($0, 1) }, uniquingKeysWith: +)
    }

    @Test func aJobGeneratesTheMostRequestedVoiceFirstAndPaysOnlyForWhatIsMissing() async throws {
        let testbed = try VoiceTestbed(environment: ["VOICEVAULT_ADMIN_TOKEN": Self.admin])
        let admin = ["authorization": "Bearer \(Self.admin)", "content-type": "application/json"]
        // Adam is asked for more than Rachel, and one chapter in Rachel is already stored.
        for round in 0..<3 {
            #expect(try await testbed.post(VoiceTestbed.requestBody(text: "Adam is popular \(round).", voice: Self.adam)).status == 200)
        }
        #expect(
            try await testbed.post(VoiceTestbed.requestBody(text: "Pregenerated novel chapter 1.", voice: Self.rachel, book: "novel"))
                .status == 200)
        let before = try await testbed.upstreamCalls()

        let created = try await httpRequest(
            "POST", testbed.server.baseURL + "/admin/jobs", headers: admin,
            body: Self.manifest(book: "novel", chapters: 3, voices: [Self.rachel, Self.adam]))
        #expect(created.status == 201, "\(created.body)")
        let job = json(created.body)
        let id = try #require(job["id"] as? String)
        #expect(job["voices"] as? [String] == [Self.adam, Self.rachel])
        #expect(job["total"] as? Int == 6)
        try await waitUntil("the job is done") {
            json(try await httpRequest("GET", testbed.server.baseURL + "/admin/jobs/" + id, headers: admin).body)["status"] as? String
                == "done"
        }
        let done = json(try await httpRequest("GET", testbed.server.baseURL + "/admin/jobs/" + id, headers: admin).body)
        #expect(done["generated"] as? Int == 5)
        #expect(done["cached"] as? Int == 1)
        #expect(done["failed"] as? Int == 0)
        #expect(done["done"] as? Int == 6)
        #expect(done["estimatedSecondsLeft"] as? Double == 0)
        let spent = (0..<3).map { "Pregenerated novel chapter \($0).".count }.reduce(0, +) * 2 - "Pregenerated novel chapter 1.".count
        #expect(done["charactersSpent"] as? Int == spent)
        #expect(try await testbed.upstreamCalls() == before + 5)
        // Per voice, nothing paid twice: Adam's three popular texts and three chapters; Rachel's stored chapter
        // and the two others.
        #expect(try await testbed.upstreamCalls(voice: Self.adam) == 6)
        #expect(try await testbed.upstreamCalls(voice: Self.rachel) == 3)
        // Every chapter in every voice is now a hit.
        let hit = try await testbed.post(VoiceTestbed.requestBody(text: "Pregenerated novel chapter 2.", voice: Self.adam, book: "novel"))
        #expect(hit.header("x-cache") == "HIT")
        // The book lists the job's chapters in the manifest's order, each at its place, in both voices (the
        // chapter stored before the job without a chapter id took the job's).
        let book = json(
            try await httpRequest(
                "GET", testbed.server.baseURL + "/api/books/novel", headers: ["authorization": "Bearer \(VoiceTestbed.clientKey)"]
            ).body)
        let chapters = book["chapters"] as? [[String: Any]] ?? []
        #expect(chapters.map { $0["chapterId"] as? String ?? "-" } == ["c0", "c1", "c2"], "\(book)")
        #expect(chapters.map { $0["chapterIndex"] as? Int ?? -1 } == [0, 1, 2])
        #expect(chapters.allSatisfy { ($0["renditions"] as? [[String: Any]])?.count == 2 }, "\(book)")
        // Listed; refused manifests say why; unknown jobs are 404; client keys cannot reach any of it.
        let list = json(try await httpRequest("GET", testbed.server.baseURL + "/admin/jobs", headers: admin).body)
        #expect((list["jobs"] as? [[String: Any]])?.first?["id"] as? String == id)
        let refused = try await httpRequest(
            "POST", testbed.server.baseURL + "/admin/jobs", headers: admin,
            body: Self.manifest(book: "novel", chapters: 1, voices: ["bad voice"]))
        #expect(refused.status == 400)
        #expect(json(refused.body)["error"] as? String == "invalid_voice_id")
        #expect(try await httpRequest("GET", testbed.server.baseURL + "/admin/jobs/job-nope", headers: admin).status == 404)
        #expect(
            try await httpRequest(
                "GET", testbed.server.baseURL + "/admin/jobs",
                headers: ["authorization": "Bearer \(VoiceTestbed.clientKey)"]
            ).status == 403)
    }

    @Test func pregenerateFollowsAJobAndAResumedJobNeverPaysTwice() async throws {
        // From the third chapter on, each takes six seconds at the upstream: SIGTERM lands with the job part
        // done even if this test is held up for half a minute (a full parallel run can do that).
        let testbed = try VoiceTestbed(environment: ["VOICEVAULT_ADMIN_TOKEN": Self.admin, "VOICEVAULT_UPSTREAM_TIMEOUT_MS": "30000"])
        try await testbed.script(voice: Self.rachel, ["ok", "ok"] + Array(repeating: "latency:6000", count: 6))
        let manifestFile = testbed.directory.sub("manifest.json")
        try Data(Self.manifest(book: "saga", chapters: 8, voices: [Self.rachel]).utf8).write(to: URL(fileURLWithPath: manifestFile))
        let submitted = try await ServerProcess.run(
            ["pregenerate", manifestFile, "--server", testbed.server.baseURL, "--detach"],
            environment: ["VOICEVAULT_ADMIN_TOKEN": Self.admin])
        #expect(submitted.status == 0, "\(submitted.output)")
        let id = try #require(submitted.output.split(separator: "\n").last.map(String.init))
        #expect(id.hasPrefix("job-"))
        try await waitUntil("the third chapter is at the upstream") { try await testbed.upstreamCalls() >= 3 }
        #expect(testbed.server.terminate() == 0)
        let stopped = try JobStore(path: testbed.dataDirectory + "/jobs.sqlite")
        let atStop = try stopped.counts(id)
        let paidBeforeStop = try await testbed.upstreamCalls()
        #expect(atStop.generated == paidBeforeStop, "every chapter paid for before SIGTERM was stored, the one in flight included")
        #expect(atStop.pending > 0 && atStop.pending == 8 - atStop.generated, "the job was cut short, and nothing else started")
        let spokenBefore = try await Self.spoken(testbed)
        _ = try await httpRequest("POST", testbed.fake.baseURL + "/_fake/reset")

        // A new server on the same directory resumes the job; pregenerate follows a second submission (all hits).
        let restarted = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", testbed.dataDirectory],
            environment: [
                "ELEVENLABS_API_KEY": "fake-key", "ELEVENLABS_BASE_URL": testbed.fake.baseURL,
                "VOICEVAULT_API_KEYS": VoiceTestbed.clientKey, "VOICEVAULT_ADMIN_TOKEN": Self.admin,
            ])
        let admin = ["authorization": "Bearer \(Self.admin)"]
        let followed = try await ServerProcess.run(
            ["pregenerate", manifestFile, "--server", restarted.baseURL],
            environment: ["VOICEVAULT_ADMIN_TOKEN": Self.admin])
        #expect(followed.status == 0, "\(followed.output)")
        #expect(followed.output.contains("done: 0 generated, 8 already cached"), "a second submission of the same book is all hits")
        try await waitUntil("the first job is done") {
            json(try await httpRequest("GET", restarted.baseURL + "/admin/jobs/" + id, headers: admin).body)["status"] as? String == "done"
        }
        let final = json(try await httpRequest("GET", restarted.baseURL + "/admin/jobs/" + id, headers: admin).body)
        #expect(final["generated"] as? Int == 8)
        // Each chapter paid for exactly once across the restart.
        let spokenAfter = try await Self.spoken(testbed)
        #expect(try await testbed.upstreamCalls() == atStop.pending)
        #expect(Set(spokenBefore.keys).isDisjoint(with: spokenAfter.keys))
        #expect(spokenBefore.count + spokenAfter.count == 8)
        #expect((Array(spokenBefore.values) + Array(spokenAfter.values)).allSatisfy { $0 == 1 })
        #expect(restarted.terminate() == 0)
    }
}
