import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// The disk quota on a live server: a generation that takes the store over `VOICEVAULT_MAX_STORE_BYTES` wakes
/// the quota, which evicts the least recently heard unpinned audio; downloads count as hearing, lookups and HEAD
/// do not; evictions reach the ledger and the metrics, and the next request regenerates. Then `/admin/gc` and
/// `voicevault gc`, through the server and on the stopped directory.
@Suite struct DiskQuotaTests {
    static let admin = "quota-admin-token"
    static func text(_ number: Int) -> String { "Quota chapter \(number < 10 ? "0" : "")\(number)." }
    /// What the fake answers for these texts: every one has the same length, so the same size.
    static let size = SilentMP3.make(seconds: max(0.3, Double(text(0).unicodeScalars.count) / 15), xingHeader: true).count

    @Test func theLeastRecentlyHeardUnpinnedAudioIsEvictedAndComesBackOnRequest() async throws {
        let limit = Self.size * 11 / 2
        let testbed = try VoiceTestbed(environment: [
            "VOICEVAULT_MAX_STORE_BYTES": "\(limit)", "VOICEVAULT_ADMIN_TOKEN": Self.admin,
            "VOICEVAULT_METRICS_PUBLIC": "true", "VOICEVAULT_QUOTA_INTERVAL_MS": "100",
        ])
        let server = testbed.server.baseURL
        let adminHeaders = ["authorization": "Bearer \(Self.admin)"]
        var hashes: [String] = []
        for number in 0..<5 {
            let result = try await testbed.post(VoiceTestbed.requestBody(text: Self.text(number), book: "quota"))
            #expect(result.status == 200)
            #expect(Int(json(result.body)["bytes"] as? Int ?? 0) == Self.size)
            hashes.append(try VoiceTestbed.hash(text: Self.text(number)))
        }
        // Heard: 0 and 1 downloaded. Only looked up: 2 (its record, and HEAD), which must not count.
        for number in [0, 1] {
            #expect(try await httpRequest("GET", server + "/audio/quota/\(hashes[number]).mp3").status == 200)
        }
        #expect(try await httpRequest("GET", server + "/api/voice/\(hashes[2])").status == 200)
        #expect(try await httpRequest("HEAD", server + "/audio/quota/\(hashes[2]).mp3").status == 200)
        // A pinned book's audio never goes.
        let pinned = try await httpRequest("PUT", server + "/admin/books/keep/pin", headers: adminHeaders)
        #expect(pinned.status == 200)
        #expect(json(pinned.body)["changed"] as? Bool == true)
        #expect(
            json(try await httpRequest("PUT", server + "/admin/books/keep/pin", headers: adminHeaders).body)["changed"] as? Bool == false)
        // The sixth asset takes the store to 6 sizes, over 5.5: down to 90 % of the limit (4.95), so two go.
        #expect(try await testbed.post(VoiceTestbed.requestBody(text: Self.text(5), book: "keep")).status == 200)
        let upstreamBefore = try await testbed.upstreamCalls()
        try await waitUntil("the quota evicted") {
            try await httpRequest("GET", server + "/api/voice/\(hashes[3])").status == 404
        }
        for (number, hash) in hashes.enumerated() {
            let status = try await httpRequest("GET", server + "/api/voice/\(hash)").status
            #expect(status == ([2, 3].contains(number) ? 404 : 200), "asset \(number)")
        }
        #expect(try await httpRequest("GET", server + "/api/voice/\(try VoiceTestbed.hash(text: Self.text(5)))").status == 200)
        #expect(try await MetricScrape.value("voicevault_evicted_assets_total", testbed.server) == 2)
        #expect(try await MetricScrape.value("voicevault_evicted_bytes_total", testbed.server) == 2 * Self.size)
        // In the ledger, as admin actions.
        let ledger = try SQLiteDatabase(path: testbed.dataDirectory + "/usage.sqlite", readOnly: true)
        try await waitUntil("the ledger has the evictions") {
            (try ledger.rows("SELECT count(*) FROM admin_actions WHERE action = 'evict'").first?.first?.int ?? 0) == 2
        }
        // The next request pays once more and is stored again.
        let again = try await testbed.post(VoiceTestbed.requestBody(text: Self.text(2), book: "quota"))
        #expect(again.header("x-cache") == "MISS")
        #expect(try await testbed.upstreamCalls() == upstreamBefore + 1)

        // By hand: a dry run through the server lists what would go and removes nothing; pins are listed.
        let dry = try await httpRequest("POST", server + "/admin/gc?dryRun=true&maxBytes=1", headers: adminHeaders)
        #expect(dry.status == 200, "\(dry.body)")
        #expect((json(dry.body)["evicted"] as? [String])?.count == 4)
        #expect(json(dry.body)["targetUnreachable"] as? Bool == true)
        #expect(try await httpRequest("GET", server + "/api/voice/\(hashes[0])").status == 200)
        #expect(try await httpRequest("POST", server + "/admin/gc?maxBytes=-1", headers: adminHeaders).status == 400)
        #expect(try await httpRequest("POST", server + "/admin/gc?maxBytes=1").status == 401)
        let pins = json(try await httpRequest("GET", server + "/admin/pins", headers: adminHeaders).body)
        #expect((pins["pins"] as? [[String: Any]])?.compactMap { $0["bookId"] as? String } == ["keep"])
        let remote = try await ServerProcess.run(
            ["gc", "--server", server, "--dry-run", "--max-bytes", "1"],
            environment: ["VOICEVAULT_ADMIN_TOKEN": Self.admin])
        #expect(remote.status == 0, "\(remote.output)")
        #expect(remote.output.contains("would evict 4 assets"))
        let unpinned = try await httpRequest("DELETE", server + "/admin/books/keep/pin", headers: adminHeaders)
        #expect(json(unpinned.body)["changed"] as? Bool == true)
        #expect(testbed.server.terminate() == 0)

        // On the stopped directory: down to one asset's worth, all unpinned now.
        let local = try await ServerProcess.run(["gc", "--data-dir", testbed.dataDirectory, "--max-bytes", "\(Self.size)", "--json"])
        #expect(local.status == 0, "\(local.output)")
        #expect((json(local.output)["evicted"] as? [String])?.count == 5)
        #expect(try await ServerProcess.run(["fsck", "--data-dir", testbed.dataDirectory]).status == 0)
        let after = try SQLiteDatabase(path: testbed.dataDirectory + "/usage.sqlite", readOnly: true)
        #expect(try after.rows("SELECT count(*) FROM admin_actions WHERE action = 'evict'").first?.first?.int == 7)
    }
}
