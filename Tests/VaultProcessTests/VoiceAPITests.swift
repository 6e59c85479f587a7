import AsyncHTTPClient
import Foundation
import Testing
import VaultTestSupport
import NIOCore
import VaultCore

/// `POST /api/voice` and `GET /api/voice` over real sockets, against the fake ElevenLabs.
@Suite struct VoiceAPITests {
    /// The memo of validated bodies holds no audio state: the same body after an admin delete is a miss that
    /// generates again, never an answer about the deleted audio.
    @Test func theSameBodyAfterADeleteGeneratesAgain() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_ADMIN_TOKEN": "memo-admin"])
        let body = VoiceTestbed.requestBody(text: "Remembered, then deleted.")
        #expect(try await bed.post(body).header("x-cache") == "MISS")
        #expect(try await bed.post(body).header("x-cache") == "HIT")
        let hash = try VoiceTestbed.hash(text: "Remembered, then deleted.")
        let deleted = try await httpRequest(
            "DELETE", bed.server.baseURL + "/admin/audio/\(hash)",
            headers: ["authorization": "Bearer memo-admin"])
        #expect(deleted.status == 200)
        let again = try await bed.post(body)
        #expect(again.status == 200 && again.header("x-cache") == "MISS")
        #expect(try await bed.upstreamCalls() == 2)
    }

    @Test func missThenHitThenRecord() async throws {
        let bed = try VoiceTestbed()
        let first = try await bed.post(VoiceTestbed.requestBody())
        #expect(first.status == 200, "\(first.body)")
        #expect(first.header("x-cache") == "MISS")
        #expect(first.header("server-timing")?.hasPrefix("upstream;dur=") == true)
        #expect(first.header("server-timing")?.contains(", first-audio;dur=") == true, "when the first audio arrived")
        let answer = json(first.body)
        let hash = try VoiceTestbed.hash(text: "Hello, world. This is chapter one.")
        #expect(answer["contentHash"] as? String == hash)
        #expect(answer["url"] as? String == "/audio/book-1/\(hash).mp3")
        #expect(answer["cached"] as? Bool == false)
        #expect(answer["characterCount"] as? Int == 34)
        #expect(answer["wordCount"] as? Int == 6)
        #expect(answer["characterCost"] as? Int == 34)
        #expect((answer["durationSec"] as? Double ?? 0) > 2)
        let file = bed.dataDirectory + "/audio/book-1/\(hash).mp3"
        let bytes = try FileSystem.readFile(file)
        #expect(answer["bytes"] as? Int == bytes.count)
        #expect(try MP3Inspector.inspect(bytes).durationSeconds > 2)

        let second = try await bed.post(VoiceTestbed.requestBody())
        #expect(second.status == 200)
        #expect(second.header("x-cache") == "HIT")
        #expect(json(second.body)["cached"] as? Bool == true)
        #expect(try await bed.upstreamCalls() == 1)

        // The same audio for another book costs nothing and is the same bytes, hard-linked.
        let other = try await bed.post(VoiceTestbed.requestBody(book: "book-2"))
        #expect(other.header("x-cache") == "HIT")
        #expect(json(other.body)["url"] as? String == "/audio/book-2/\(hash).mp3")
        #expect(try await bed.upstreamCalls() == 1)
        let a = try #require(try FileSystem.status(file))
        let b = try #require(try FileSystem.status(bed.dataDirectory + "/audio/book-2/\(hash).mp3"))
        #expect(a.isSameFile(as: b))

        // Reading the record is public, by path or by query.
        for url in ["/api/voice/\(hash)", "/api/voice?contentHash=\(hash)"] {
            let record = try await httpRequest("GET", bed.server.baseURL + url)
            #expect(record.status == 200)
            #expect(json(record.body)["bookIds"] as? [String] == ["book-1", "book-2"])
            #expect(json(record.body)["sha256"] as? String == SHA256Digest.of(bytes).hex)
        }
        // The timings came with the audio (ElevenLabs' stream with timestamps), in three formats.
        let timings = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment")
        #expect(timings.status == 200)
        let aligned = json(timings.body)
        #expect(aligned["text"] as? String == "Hello, world. This is chapter one.")
        #expect(
            (aligned["sentences"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == ["Hello, world.", "This is chapter one."])
        #expect((aligned["words"] as? [Any])?.count == 6)
        let characters = try #require(aligned["alignment"] as? [String: Any])
        #expect((characters["characters"] as? [String])?.joined() == "Hello, world. This is chapter one.")
        #expect((characters["character_end_times_seconds"] as? [Double])?.last ?? 0 > 2)
        let vtt = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment?format=vtt")
        #expect(vtt.header("content-type") == "text/vtt; charset=utf-8")
        #expect(vtt.body.hasPrefix("WEBVTT\n\nNOTE timings follow the written text\n\n1\n00:00:00.000 --> "))
        #expect(vtt.header("x-voicevault-timings") == "written")
        let smil = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment?format=smil&bookId=book-2")
        #expect(smil.body.contains(#"<audio src="/audio/book-2/\#(hash).mp3" clipBegin="0.000s""#))
        // The references are copied into an XML document: control characters would make it not well-formed.
        for query in ["text=chapter%01.xhtml", "audio=a%00b.mp3", "text=" + String(repeating: "a", count: 2049)] {
            let refused = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment?format=smil&" + query)
            #expect(refused.status == 400, "\(query)")
            #expect(json(refused.body)["error"] as? String == "invalid_reference", "\(query)")
        }
        let badFormat = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment?format=srt")
        #expect(badFormat.status == 400 && json(badFormat.body)["error"] as? String == "invalid_format")
        let missing = try await httpRequest("GET", bed.server.baseURL + "/api/voice/" + String(repeating: "0", count: 64))
        #expect(missing.status == 404)
        #expect(json(missing.body)["error"] as? String == "not_found")
        let bad = try await httpRequest("GET", bed.server.baseURL + "/api/voice/xyz")
        #expect(json(bad.body)["error"] as? String == "invalid_content_hash")

        // One structured line per request: method, path, status, hash prefix, HIT/MISS, and on the miss the
        // upstream, write and index times.
        #expect(bed.server.terminate() == 0)
        let lines = bed.server.log.split(separator: "\n").filter { $0.contains("path=/api/voice ") && $0.contains("method=POST") }
        #expect(lines.count == 3)
        let miss = try #require(lines.first)
        for field in ["method=POST", "status=200", "hash=\(hash.prefix(12))", "cache=MISS", "upstreamMs=", "writeMs=", "indexMs="] {
            #expect(miss.contains(field), "\(field) in \(miss)")
        }
        #expect(lines.dropFirst().allSatisfy { $0.contains("cache=HIT") && !$0.contains("upstreamMs=") })
    }

    @Test func twoHundredConcurrentIdenticalMissesCostOneUpstreamCall() async throws {
        let bed = try VoiceTestbed()
        let voice = "concurrentVoice"
        try await bed.script(voice: voice, ["latency:1500"])
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)))
        let body = VoiceTestbed.requestBody(text: "Two hundred readers want chapter seven at once.", voice: voice)
        let results = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
            for _ in 0..<200 { group.addTask { try await bed.post(body, client: client) } }
            return try await group.reduce(into: [HTTPResult]()) { $0.append($1) }
        }
        try await client.shutdown()
        #expect(results.allSatisfy { $0.status == 200 })
        #expect(Set(results.map(\.body)).count == 1, "every waiter gets the same answer")
        #expect(results.allSatisfy { $0.header("x-cache") == "MISS" })
        #expect(try await bed.upstreamCalls(voice: voice) == 1)
    }

    @Test func aDisconnectingFirstClientStillStoresAndServesTheOthers() async throws {
        let bed = try VoiceTestbed()
        let voice = "disconnectVoice"
        try await bed.script(voice: voice, ["latency:1500"])
        let text = "The first reader closes the app before the audio is ready."
        let body = VoiceTestbed.requestBody(text: text, voice: voice)
        // The leader is a raw connection that hangs up once its request has reached upstream: a disconnect
        // at a known moment, whatever the machine's load (an HTTP client's timeout may fire late, or after
        // a follower has started the flight).
        let leader = try RawConnection(port: bed.server.port)
        leader.send(
            "POST /api/voice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(VoiceTestbed.clientKey)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        while try await bed.upstreamCalls(voice: voice) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        leader.disconnect()
        let follower = try await bed.post(body)
        #expect(follower.status == 200)
        #expect(try await bed.upstreamCalls(voice: voice) == 1)

        // Alone: the only client disconnects, and the audio is stored all the same.
        try await bed.script(voice: voice, ["latency:800"])
        let lonely = VoiceTestbed.requestBody(text: "Nobody waits for this one.", voice: voice)
        _ = try? await bed.post(lonely, timeout: .milliseconds(200))
        let hash = try VoiceTestbed.hash(text: "Nobody waits for this one.", voice: voice)
        var stored = false
        for _ in 0..<50 where !stored {
            try await Task.sleep(for: .milliseconds(100))
            stored = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)").status == 200
        }
        #expect(stored)
        #expect(try await bed.post(lonely).header("x-cache") == "HIT")
        #expect(try await bed.upstreamCalls(voice: voice) == 2)
    }

    /// A 429 "too many concurrent requests" waits `VOICEVAULT_UPSTREAM_CONCURRENCY_WAIT_MS`, not the failure
    /// backoff: with a 60 s wait (capped at the policy's 20 s longest delay) and a 10 ms backoff base, the second
    /// upstream call comes at least 15 s after the first (with the backoff's timing, or the 1 s default, it would
    /// come within 1.5 s). Measured between the calls' arrivals at the fake, which a loaded machine only
    /// lengthens; the client's own timing (earlier versions of this test) was not load-independent.
    @Test func concurrencyWaitHasItsOwnSetting() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_UPSTREAM_CONCURRENCY_WAIT_MS": "60000"])
        let voice = "concurrencywait"
        try await bed.script(voice: voice, ["429-concurrent", "ok"])
        let body = VoiceTestbed.requestBody(text: "Wait for a free slot.", voice: voice)
        let answer = try await bed.post(body, timeout: .seconds(120))
        #expect(answer.status == 200, "\(answer.body)")
        let times = try await bed.upstreamCallTimes(voice: voice)
        #expect(times.count == 2, "\(times)")
        if times.count == 2 { #expect(times[1] - times[0] >= 15, "the second call came \(times[1] - times[0]) s after the first") }
    }

    /// Each scripted upstream behaviour, the answer the client sees, how many upstream calls it took, and that
    /// nothing is stored on failure; afterwards the error is not cached (a new request succeeds).
    @Test(
        arguments: [
            (["429-concurrent", "ok"], 200, nil, 2),
            (["429-busy", "ok"], 200, nil, 2),
            (["503", "ok"], 200, nil, 2),
            (["500", "truncated", "ok"], 200, nil, 3),
            (["500", "500", "500"], 502, "upstream_unavailable", 3),
            (["503", "503", "503"], 502, "upstream_unavailable", 3),
            (["reset", "reset", "reset"], 502, "upstream_unavailable", 3),
            (["hang", "hang", "hang"], 504, "upstream_timeout", 3),
            (["truncated", "truncated", "truncated"], 502, "upstream_invalid_audio", 3),
            (["not-mp3", "not-mp3", "not-mp3"], 502, "upstream_invalid_audio", 3),
            (["empty", "empty", "empty"], 502, "upstream_invalid_audio", 3),
            (["401"], 502, "upstream_auth", 1),
            (["404"], 404, "voice_not_found", 1),
            (["422"], 400, "upstream_rejected", 1),
        ] as [([String], Int, String?, Int)])
    func upstreamFaults(script: [String], status: Int, code: String?, calls: Int) async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_UPSTREAM_TIMEOUT_MS": "500"])
        let voice = "fault" + script.joined().filter { $0.isLetter || $0.isNumber }
        try await bed.script(voice: voice, script)
        let text = "Fault injection for \(script.joined(separator: " then "))."
        let result = try await bed.post(VoiceTestbed.requestBody(text: text, voice: voice))
        #expect(result.status == status, "\(result.body)")
        #expect(try await bed.upstreamCalls(voice: voice) == calls)
        let hash = try VoiceTestbed.hash(text: text, voice: voice)
        if let code {
            #expect(json(result.body)["error"] as? String == code)
            #expect((json(result.body)["message"] as? String)?.isEmpty == false)
            #expect(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)").status == 404)
            #expect(bed.filesUnder("audio").isEmpty)
            #expect(bed.filesUnder("tmp").isEmpty)
            // Not cached: the script is used up, so the next attempt succeeds.
            let retry = try await bed.post(VoiceTestbed.requestBody(text: text, voice: voice))
            #expect(retry.status == 200)
            #expect(retry.header("x-cache") == "MISS")
        } else {
            #expect(json(result.body)["contentHash"] as? String == hash)
        }
        if code == "voice_not_found" {
            #expect(json(result.body)["message"] as? String == "ElevenLabs has no voice '\(voice)'")
        }
    }

    @Test func aDailyBudgetRefusesMissesButServesHits() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_DAILY_CHARACTER_BUDGET": "50"])
        let thirty = "Thirty characters of text, ok."
        #expect(thirty.count == 30)
        #expect(try await bed.post(VoiceTestbed.requestBody(text: thirty)).status == 200)
        let refused = try await bed.post(VoiceTestbed.requestBody(text: "Another thirty characters, ok."))
        #expect(refused.status == 429)
        #expect(json(refused.body)["error"] as? String == "budget_exhausted")
        #expect(try await bed.upstreamCalls() == 1)
        let hit = try await bed.post(VoiceTestbed.requestBody(text: thirty, book: "another-book"))
        #expect(hit.status == 200)
        #expect(hit.header("x-cache") == "HIT")
    }

    @Test func generationNeedsAValidKeyInAnyOfTheThreeHeaders() async throws {
        let bed = try VoiceTestbed()
        let missing = try await bed.post(VoiceTestbed.requestBody(), key: nil)
        #expect(missing.status == 401)
        #expect(json(missing.body)["error"] as? String == "unauthorized")
        #expect(try await bed.post(VoiceTestbed.requestBody(), key: "wrong").status == 401)
        #expect(try await bed.post(VoiceTestbed.requestBody(), key: "test-client-ke", header: "apikey").status == 401)
        #expect(try await bed.upstreamCalls() == 0)
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "one"), key: VoiceTestbed.clientKey).status == 200)
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "two"), key: VoiceTestbed.clientKey, header: "apikey").status == 200)
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "three"), key: "other-key", header: "xi-api-key").status == 200)
        #expect(try await bed.upstreamCalls() == 3)
    }

    @Test func badInputGetsAStableCodeAndNoUpstreamCall() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_MAX_TEXT_CHARS": "100", "VOICEVAULT_MAX_BODY_BYTES": "2048"])
        let cases: [(String, Int, String)] = [
            ("not json", 400, "invalid_json"),
            ("[1,2]", 400, "invalid_json"),
            (#"{"voiceId":"v","bookId":"b"}"#, 400, "missing_field"),
            (#"{"text":"hi","bookId":"b"}"#, 400, "missing_field"),
            (#"{"text":"hi","voiceId":"v"}"#, 400, "missing_field"),
            (#"{"text":42,"voiceId":"v","bookId":"b"}"#, 400, "invalid_field"),
            (VoiceTestbed.requestBody(text: ""), 400, "empty_text"),
            (VoiceTestbed.requestBody(text: " \n\t "), 400, "empty_text"),
            (VoiceTestbed.requestBody(text: String(repeating: "a", count: 101)), 400, "text_too_long"),
            (VoiceTestbed.requestBody(book: "../etc"), 400, "invalid_book_id"),
            (VoiceTestbed.requestBody(book: "%2e%2e"), 400, "invalid_book_id"),
            (VoiceTestbed.requestBody(book: ".hidden"), 400, "invalid_book_id"),
            (VoiceTestbed.requestBody(extra: #""chapterId":"a/b""#), 400, "invalid_chapter_id"),
            (VoiceTestbed.requestBody(voice: "bad voice"), 400, "invalid_voice_id"),
            (VoiceTestbed.requestBody(extra: #""format":"mp3_1_1""#), 400, "unknown_format"),
            (VoiceTestbed.requestBody(extra: #""format":"pcm_16000""#), 400, "unknown_format"),
            (VoiceTestbed.requestBody(extra: #""voiceSettings":{"stability":1.5}"#), 400, "setting_out_of_range"),
            (VoiceTestbed.requestBody(extra: #""speakingRate":2.0"#), 400, "setting_out_of_range"),
            (VoiceTestbed.requestBody(extra: #""speakingRate":1.1,"voiceSettings":{"speed":0.9}"#), 400, "conflicting_fields"),
            (VoiceTestbed.requestBody(extra: #""seed":-1"#), 400, "seed_out_of_range"),
            (VoiceTestbed.requestBody(extra: #""languageCode":"english""#), 400, "invalid_language_code"),
            (VoiceTestbed.requestBody(text: String(repeating: "a", count: 3000)), 413, "payload_too_large"),
        ]
        for (body, status, code) in cases {
            let result = try await bed.post(body)
            #expect(result.status == status, "\(body.prefix(60)) -> \(result.body)")
            #expect(json(result.body)["error"] as? String == code, "\(body.prefix(60)) -> \(result.body)")
        }
        #expect(try await bed.upstreamCalls() == 0)
        #expect(bed.filesUnder("audio").isEmpty)
    }

    @Test func speakingRateIsTheSpeedSettingAndDefaultsHashAlike() async throws {
        let bed = try VoiceTestbed()
        let plain = try await bed.post(VoiceTestbed.requestBody(text: "Same audio."))
        let explicit = try await bed.post(
            VoiceTestbed.requestBody(
                text: "  Same   audio. ",
                extra:
                    #""model":"eleven_multilingual_v2","format":"mp3_44100_128","speakingRate":1.0,"voiceSettings":{"stability":0.5,"similarity_boost":0.75}"#
            ))
        #expect(explicit.header("x-cache") == "HIT")
        #expect(json(plain.body)["contentHash"] as? String == json(explicit.body)["contentHash"] as? String)
        let faster = try await bed.post(VoiceTestbed.requestBody(text: "Same audio.", extra: #""speakingRate":1.1"#))
        #expect(faster.header("x-cache") == "MISS")
        #expect(try await bed.upstreamCalls() == 2)
    }
}
