import Foundation
import Testing
import VaultTestSupport
import VaultCore

/// Named client keys from a keys file, end to end: each spends its own budget, and logs name the key, never
/// show it.
@Suite struct ClientKeyTests {
    @Test func eachKeySpendsItsOwnBudgetAndLogsShowOnlyItsName() async throws {
        let keysFile = TemporaryDirectory()
        let limited = "limited-secret-0123456789"
        let other = "other-secret-0123456789"
        let path = keysFile.path + "/keys.json"
        try Data(#"{"keys":[{"name":"reader-ios","key":"\#(limited)","dailyCharacters":40},{"name":"web","key":"\#(other)"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_API_KEYS_FILE": path])
        let first = try await bed.post(VoiceTestbed.requestBody(text: "Thirty four characters of text ok."), key: limited)
        #expect(first.status == 200, "\(first.body)")
        let over = try await bed.post(VoiceTestbed.requestBody(text: "Another thirty four characters ok."), key: limited)
        #expect(over.status == 429)
        #expect(json(over.body)["error"] as? String == "client_budget_exhausted")
        // The same text through another key is generated; the first key still gets hits.
        let web = try await bed.post(VoiceTestbed.requestBody(text: "Another thirty four characters ok."), key: other)
        #expect(web.status == 200)
        let hit = try await bed.post(VoiceTestbed.requestBody(text: "Another thirty four characters ok."), key: limited)
        #expect(hit.header("x-cache") == "HIT")
        // The plain list still works alongside the file.
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "Plain key."), key: VoiceTestbed.clientKey).status == 200)
        #expect(try await bed.upstreamCalls() == 3)

        #expect(bed.server.terminate() == 0)
        #expect(bed.server.log.contains("caller=reader-ios"))
        #expect(bed.server.log.contains("caller=web"))
        #expect(!bed.server.log.contains(limited) && !bed.server.log.contains(other), "a key must never reach the log")
    }

    @Test func aKeysRequestRateIsItsOwn() async throws {
        let keysFile = TemporaryDirectory()
        // Three keys of two requests a minute, one per attempt: an attempt whose three requests are not within
        // the half minute a token takes to come back (the test process held up by a full parallel run) says
        // nothing either way, and the next key tries again.
        let slow = (0..<3).map { "slow-secret-\($0)-0123456789" }
        let fast = "fast-secret-0123456789"
        let path = keysFile.path + "/keys.json"
        let entries = slow.enumerated().map { #"{"name":"slow\#($0.offset)","key":"\#($0.element)","requestsPerMinute":2}"# }
        try Data(#"{"keys":[\#(entries.joined(separator: ",")),{"name":"fast","key":"\#(fast)"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_API_KEYS_FILE": path])
        let body = VoiceTestbed.requestBody(text: "Rate limited text.")
        var judged = false
        for key in slow where !judged {
            let started = ContinuousClock.now
            let first = try await bed.post(body, key: key).status
            let second = try await bed.post(body, key: key).status
            let third = try await bed.post(body, key: key)
            guard ContinuousClock.now - started < .seconds(25) else { continue }
            judged = true
            #expect(first == 200 && second == 200)
            #expect(third.status == 429)
            #expect(json(third.body)["error"] as? String == "rate_limited")
            #expect(Int(third.header("retry-after") ?? "") ?? 0 >= 1)
        }
        #expect(judged, "no attempt ran its three requests within 25 s")
        for _ in 0..<5 { #expect(try await bed.post(body, key: fast).status == 200, "another key has its own rate") }
        // Lookups are not generating routes: they stay open to the limited key's app.
        let hash = try VoiceTestbed.hash(text: "Rate limited text.")
        #expect(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)").status == 200)
    }
}
