import Foundation
import Testing
import VaultTestSupport
import VaultCore

/// Issue 13: plain cache hits of `POST /api/voice` are answered ahead of the router. As for downloads, the
/// router is the oracle: the same requests, asked of a server with the fast path and of one without over the
/// same data directory, must get the same answers; and every request that is not a plain hit with a good key
/// within its rate must reach the router.
@Suite struct VoiceHitFastPathTests {

    static let reader = "reader-secret-0123456789"
    static let limited = "limited-secret-0123456789"
    static let admin = "admin-secret-0123456789"

    static func probes() -> [RawProbe] {
        let hit = VoiceTestbed.requestBody(text: "A chapter read again and again.")
        let otherBook = VoiceTestbed.requestBody(text: "A chapter read again and again.", book: "book-2")
        let fresh = VoiceTestbed.requestBody(text: "A chapter nobody asked for before.")
        func post(_ body: String, _ headers: [(String, String)], fast: Bool) -> RawProbe {
            RawProbe(
                method: "POST", target: "/api/voice", headers: [("Content-Type", "application/json")] + headers, body: body, fast: fast)
        }
        let bearer = ("Authorization", "Bearer \(reader)")
        return [
            post(hit, [bearer], fast: true),
            post(hit, [("apikey", reader)], fast: true),
            post(hit, [("xi-api-key", reader)], fast: true),
            post(hit, [("Authorization", "Bearer \(admin)"), ("apikey", reader)], fast: true),
            post(hit, [bearer, ("Origin", "https://app.example")], fast: true),
            // Linked into its second book on the first pass by the router, a plain hit on the second.
            post(otherBook, [bearer], fast: true),
            // Generated on the first pass, a hit on the second.
            post(fresh, [bearer], fast: true),
            post(hit, [("Authorization", "Bearer wrong-secret")], fast: false),
            post(hit, [], fast: false),
            post(#"{"text":"unterminated"#, [bearer], fast: false),
            post(VoiceTestbed.requestBody(text: ""), [bearer], fast: false),
            post("", [bearer], fast: false),
            RawProbe(method: "GET", target: "/api/voice/" + String(repeating: "0", count: 64), fast: false),
        ]
    }

    static func environment(keys path: String) -> [String: String] {
        ["VOICEVAULT_API_KEYS_FILE": path, "VOICEVAULT_ADMIN_TOKEN": admin, "VOICEVAULT_METRICS_PUBLIC": "true"]
    }

    static func hits(_ server: ServerProcess) async throws -> Int {
        try await MetricScrape.value(#"voicevault_cache_requests_total{surface="voice",result="hit"}"#, server)
    }

    /// An answer as compared: a 429's wait depends on when it was asked (its `Retry-After`, the seconds in
    /// its message and so its length), so of a 429 the status and the error code are compared.
    static func comparable(_ answer: RawAnswer) -> String {
        guard answer.statusLine.hasPrefix("HTTP/1.1 429") else { return "\(answer.statusLine) \(answer.headers) \(answer.body)" }
        return "\(answer.statusLine) \(json(String(decoding: answer.body, as: UTF8.self))["error"] ?? "")"
    }

    @Test func bothTransportsAnswerEveryVoiceRequestAlike() async throws {
        let keys = TemporaryDirectory()
        let path = keys.path + "/keys.json"
        try Data(#"{"keys":[{"name":"reader","key":"\#(Self.reader)"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let environment = Self.environment(keys: path)
        let bed = try VoiceTestbed(environment: environment)
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "A chapter read again and again."), key: Self.reader).status == 200)
        let probes = Self.probes()

        // First pass: the memo learns each body (the router validates it), the second book is linked, the
        // fresh text generated. Second pass: what the fast path takes, it answers.
        for probe in probes { _ = try await probe.ask(port: bed.server.port) }
        var fast: [RawAnswer] = []
        let hitsBefore = try await Self.hits(bed.server)
        for probe in probes {
            let before = try await MetricScrape.fastAnswers(bed.server)
            fast.append(try await probe.ask(port: bed.server.port))
            let taken = try await MetricScrape.fastAnswers(bed.server) - before
            #expect(taken == (probe.fast ? 1 : 0), "\(probe) -> \(fast.last.map { "\($0)" } ?? "")")
        }
        // Every hit answered either way counts as a hit in the usage events.
        let cachedAnswers = fast.filter { String(decoding: $0.body, as: UTF8.self).contains(#""cached":true"#) }.count
        #expect(try await Self.hits(bed.server) - hitsBefore == cachedAnswers)
        #expect(cachedAnswers == 7)
        #expect(bed.server.terminate() == 0)

        var routedEnvironment = environment
        routedEnvironment["VOICEVAULT_FAST_PATH"] = "false"
        routedEnvironment["ELEVENLABS_API_KEY"] = "fake-key"
        routedEnvironment["ELEVENLABS_BASE_URL"] = bed.fake.baseURL
        let router = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", bed.dataDirectory], environment: routedEnvironment)
        for probe in probes { _ = try await probe.ask(port: router.port) }
        for (index, probe) in probes.enumerated() {
            let routed = try await probe.ask(port: router.port)
            #expect(Self.comparable(fast[index]) == Self.comparable(routed), "\(probe)")
        }
        #expect(try await MetricScrape.fastAnswers(router) == 0)
        #expect(fast[0].statusLine == "HTTP/1.1 200 OK" && fast[7].statusLine.hasPrefix("HTTP/1.1 401"))
        _ = router.terminate()
        // Every answered request's line names the caller, the hash and HIT or MISS, whichever transport wrote it.
        let answered = bed.server.log.split(separator: "\n").filter { $0.contains("path=/api/voice ") && $0.contains("status=200") }
        #expect(answered.count >= 14)
        #expect(answered.allSatisfy { $0.contains("caller=") && $0.contains("hash=") && $0.contains("cache=") }, "\(answered)")
    }

    /// A key over its rate is the router's to refuse: the fast path takes its hit only while the key has a
    /// request left, and spends nothing when it routes.
    @Test func aKeyOverItsRateIsRefusedByTheRouter() async throws {
        let keys = TemporaryDirectory()
        let path = keys.path + "/keys.json"
        // One key of two requests a minute per attempt: an attempt not done within the half minute a token takes
        // to come back (the test process held up by a full parallel run) says nothing, and the next one runs.
        let limited = (0..<3).map { Self.limited + "-\($0)" }
        let entries = limited.enumerated().map { #"{"name":"limited\#($0.offset)","key":"\#($0.element)","requestsPerMinute":2}"# }
        try Data(#"{"keys":[\#(entries.joined(separator: ","))]}"#.utf8).write(to: URL(fileURLWithPath: path))
        let bed = try VoiceTestbed(environment: Self.environment(keys: path))
        var judged = false
        for (attempt, key) in limited.enumerated() where !judged {
            let body = VoiceTestbed.requestBody(text: "Rate limited hits \(attempt).")
            let started = ContinuousClock.now
            // The first request generates (and the router learns the body), the second is a fast hit, the third is
            // over the rate: two tokens a minute, asked back to back.
            let first = try await bed.post(body, key: key).status
            let before = try await MetricScrape.fastAnswers(bed.server)
            let second = try await bed.post(body, key: key).status
            let fastAfterSecond = try await MetricScrape.fastAnswers(bed.server) - before
            let refused = try await bed.post(body, key: key)
            let fastAfterThird = try await MetricScrape.fastAnswers(bed.server) - before
            guard ContinuousClock.now - started < .seconds(25) else { continue }
            judged = true
            #expect(first == 200 && second == 200)
            #expect(fastAfterSecond == 1)
            #expect(refused.status == 429)
            #expect(json(refused.body)["error"] as? String == "rate_limited")
            #expect(Int(refused.header("retry-after") ?? "") ?? 0 >= 1)
            #expect(fastAfterThird == 1)
        }
        #expect(judged, "no attempt ran its three requests within 25 s")
    }

    /// A request body that stops arriving is closed at the idle timeout, counted from its last part, whether
    /// the fast path holds it (up to 64 KiB) or the router reads it (larger): Hummingbird's rule, kept now
    /// that the timeout belongs to the handler in front of the router.
    @Test(arguments: [100, 100_000]) func aBodyThatStopsIsClosedAtTheIdleTimeout(declaredLength: Int) async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_IDLE_TIMEOUT_SECONDS": "2"])
        let closed = try await Task.detached {
            let connection = try RawConnection(port: bed.server.port, receiveTimeout: 30)
            connection.send(
                "POST /api/voice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(VoiceTestbed.clientKey)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(declaredLength)\r\n\r\n{\"text\":")
            return connection.peerClosed(within: 20)
        }.value
        #expect(closed, "a stalled body held its connection")
    }
}
