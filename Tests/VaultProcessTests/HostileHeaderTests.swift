import AsyncHTTPClient
import Foundation
import Testing
import VaultTestSupport

/// Issue 10 item 1 over real HTTP: header values made of one letter and tens of thousands of combining marks
/// took 0.7-8 s of CPU each to answer, and four at once stalled `/healthz` for 3-16 s, because they were
/// parsed as Swift strings. Parsed as bytes they cost microseconds. The attack below (88 such requests) is
/// measured in the server's own CPU time, which the rest of a loaded machine does not change: under 3 s,
/// an order of magnitude from both the fixed figure (a fraction of a second, debug build) and the broken one
/// (over a minute).
@Suite struct HostileHeaderTests {
    /// About 76 KB: just under the 80 KB a header may have.
    static let hostile = "a" + String(repeating: "\u{301}\u{316}", count: 19_000)

    @Test func combiningMarksInHeadersDoNotStallTheServer() async throws {
        let bed = try VoiceTestbed()
        let answer = json(try await bed.post(VoiceTestbed.requestBody()).body)
        let audio = try #require(answer["url"] as? String)
        let base = bed.server.baseURL
        let port = bed.server.port
        // Sent raw: a header list this large is refused early by the server at times, which some client
        // libraries do not survive. One hostile value per request keeps each under the 80 KB header limit.
        let attacks: [(method: String, target: String, headers: [(String, String)])] = [
            ("OPTIONS", "/api/voice", [("origin", "https://app.example"), ("access-control-request-method", Self.hostile)]),
            ("OPTIONS", "/api/voice", [("origin", Self.hostile), ("access-control-request-method", "POST")]),
            (
                "OPTIONS", "/api/voice",
                [
                    ("origin", "https://app.example"), ("access-control-request-method", "POST"),
                    ("access-control-request-headers", Self.hostile),
                ]
            ),
            ("GET", audio, [("if-none-match", Self.hostile)]),
            ("GET", audio, [("if-match", Self.hostile)]),
            ("GET", audio, [("range", "bytes=0-1"), ("if-range", Self.hostile)]),
            ("GET", audio, [("range", Self.hostile)]),
            ("GET", audio, [("if-modified-since", Self.hostile)]),
            ("POST", "/api/voice", [("authorization", "Bearer " + Self.hostile)]),
            ("GET", "/storage/v1/bucket", [("apikey", Self.hostile)]),
            ("GET", audio + "?download=" + String(repeating: "%CC%81", count: 10_000), []),
        ]
        let client = HTTPClient.shared
        let pid = bed.server.process.processIdentifier
        let cpuBefore = try cpuSeconds(of: pid)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for attack in attacks + attacks {
                        let result = try await rawRequest(port: port, attack.method, attack.target, headers: attack.headers)
                        let status = try #require(result.status, "\(attack.method) \(attack.headers.map(\.0)): no answer")
                        #expect(status < 500, "\(attack.method) \(attack.headers.map(\.0)): \(status)")
                    }
                }
            }
            // Meanwhile the server keeps answering health checks.
            group.addTask {
                for _ in 0..<20 {
                    let status = try await httpRequest("GET", base + "/healthz", client: client).status
                    #expect(status == 200)
                }
            }
            try await group.waitForAll()
        }
        let spent = try cpuSeconds(of: pid) - cpuBefore
        #expect(spent < 3, "88 hostile requests cost the server \(spent) s of CPU")
    }

    @Test func hostileValuesAreRefusedOrIgnoredWithTheirUsualAnswers() async throws {
        let bed = try VoiceTestbed()
        let answer = json(try await bed.post(VoiceTestbed.requestBody()).body)
        let audio = try #require(answer["url"] as? String)
        let port = bed.server.port
        // A Range that is not ASCII is no Range: the whole file.
        #expect(try await rawRequest(port: port, "GET", audio, headers: [("range", Self.hostile)]).status == 200)
        // An entity tag of marks matches nothing: If-Match fails, If-None-Match does not.
        #expect(try await rawRequest(port: port, "GET", audio, headers: [("if-match", Self.hostile)]).status == 412)
        #expect(try await rawRequest(port: port, "GET", audio, headers: [("if-none-match", Self.hostile)]).status == 200)
        // A preflight for a method of marks is refused.
        let preflight = try await rawRequest(
            port: port, "OPTIONS", "/api/voice",
            headers: [
                ("origin", "https://a.example"), ("access-control-request-method", Self.hostile),
            ])
        #expect(preflight.status == 403)
        // Header names are echoed in a preflight answer only when they are header names.
        let echoed = try await rawRequest(
            port: port, "OPTIONS", "/api/voice",
            headers: [
                ("origin", "https://a.example"), ("access-control-request-method", "POST"),
                ("access-control-request-headers", "x-one, " + Self.hostile),
            ])
        #expect(echoed.status == 204)
        let head = String(decoding: echoed.response, as: UTF8.self).lowercased()
        #expect(head.contains("access-control-allow-headers: authorization"))
        let bearer = try await rawRequest(
            port: port, "POST", "/api/voice", headers: [("authorization", "Bearer " + Self.hostile)],
            body: VoiceTestbed.requestBody())
        #expect(bearer.status == 401)
        #expect(try await bed.upstreamCalls() == 1)
    }
}

/// Issue 10 item 2 over real HTTP: `text` with 200,000 combining marks took 26-54 s of CPU to normalise. It is
/// now refused before normalisation: 24 such requests cost the server well under 3 s of CPU (debug build),
/// where one alone cost ten times that before.
@Suite struct HostileTextTests {
    static let marks = "a" + String(repeating: "\u{301}\u{316}", count: 100_000)

    @Test func textThatIsNotStreamSafeIsRefusedWithoutStallingTheServer() async throws {
        let bed = try VoiceTestbed()
        let base = bed.server.baseURL
        let pid = bed.server.process.processIdentifier
        let cpuBefore = try cpuSeconds(of: pid)
        let bodies = [
            VoiceTestbed.requestBody(text: Self.marks),
            VoiceTestbed.requestBody(text: "Fine text.", extra: #""previousText":"\#(Self.marks)""#),
            VoiceTestbed.requestBody(text: Self.marks, voice: "not a voice"),
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for body in bodies + bodies {
                        let result = try await bed.post(body)
                        #expect(result.status == 400)
                        let code = json(result.body)["error"] as? String
                        #expect(["text_not_stream_safe", "context_too_long", "invalid_voice_id"].contains(code), "\(code ?? result.body)")
                    }
                }
            }
            group.addTask {
                for _ in 0..<20 {
                    let status = try await httpRequest("GET", base + "/healthz").status
                    #expect(status == 200)
                }
            }
            try await group.waitForAll()
        }
        let spent = try cpuSeconds(of: pid) - cpuBefore
        #expect(spent < 3, "24 requests with hostile text cost the server \(spent) s of CPU")
        #expect(try await bed.upstreamCalls() == 0)
        let context = try await bed.post(
            VoiceTestbed.requestBody(
                text: "Fine.", extra: #""nextText":"\#(String(repeating: "word ", count: 2_001))""#))
        #expect(context.status == 400)
        #expect(json(context.body)["error"] as? String == "context_too_long")
    }
}
