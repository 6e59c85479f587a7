import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// `previous_request_ids` / `next_request_ids` through the ElevenLabs door, against the fake upstream (which
/// refuses ids it did not give out, as upstream does).
@Suite struct RequestStitchingTests {
    static let voice = "21m00Tcm4TlvDq8ikWAM"

    static func convert(_ bed: VoiceTestbed, _ body: [String: Any]) async throws -> HTTPResult {
        try await httpRequest(
            "POST", bed.server.baseURL + "/v1/text-to-speech/\(voice)",
            headers: ["xi-api-key": VoiceTestbed.clientKey, "content-type": "application/json"],
            body: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
    }

    static func lastUpstreamBody(_ bed: VoiceTestbed) async throws -> [String: Any] {
        let sent = try await httpRequest("GET", bed.fake.baseURL + "/_fake/requests")
        let bodies = try #require(try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [[String: Any]])
        return try #require(bodies.last)
    }

    static func record(_ bed: VoiceTestbed, _ hash: String) async throws -> [String: Any] {
        json(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)").body)
    }

    /// A paragraph stitched to the one before by the id of the answer that gave it: upstream is asked with its
    /// own request id for that generation; the same request with another answer's id for the same audio is a
    /// hit; the asset records upstream's request and history item ids.
    @Test func idsFromEarlierAnswersStitchByUpstreamsOwnIds() async throws {
        let bed = try VoiceTestbed()
        let first = try await Self.convert(bed, ["text": "The first paragraph ends here."])
        #expect(first.status == 200)
        let firstId = try #require(first.header("request-id"))
        let firstHash = try #require(first.header("x-content-hash"))
        #expect(StitchingRequestId.asset(of: firstId)?.hex == firstHash)
        let firstRecord = try await Self.record(bed, firstHash)
        let upstreamId = try #require(firstRecord["upstreamRequestId"] as? String)
        #expect((firstRecord["upstreamHistoryItemId"] as? String)?.isEmpty == false)

        let second = try await Self.convert(bed, ["text": "The second one follows.", "previous_request_ids": [firstId]])
        #expect(second.status == 200, "\(second.body)")
        #expect(second.header("x-cache") == "MISS")
        let sent = try await Self.lastUpstreamBody(bed)
        #expect(sent["previous_request_ids"] as? [String] == [upstreamId])
        #expect(sent["previous_text"] == nil)

        // A hit on the first audio hands out another id for it; stitching with that one is the same request.
        let again = try await Self.convert(bed, ["text": "The first paragraph ends here."])
        let otherId = try #require(again.header("request-id"))
        #expect(otherId != firstId)
        let calls = try await bed.upstreamCalls()
        let repeated = try await Self.convert(bed, ["text": "The second one follows.", "previous_request_ids": [otherId]])
        #expect(repeated.header("x-cache") == "HIT")
        #expect(repeated.header("x-content-hash") == second.header("x-content-hash"))
        #expect(try await bed.upstreamCalls() == calls)

        // Without the stitching it is other audio.
        let plain = try await Self.convert(bed, ["text": "The second one follows."])
        #expect(plain.header("x-content-hash") != second.header("x-content-hash"))

        // next_request_ids: the first chunk's id of the audio that follows.
        let secondId = try #require(second.header("request-id"))
        let secondHash = try #require(second.header("x-content-hash"))
        let secondUpstream = try #require(try await Self.record(bed, secondHash)["upstreamRequestId"] as? String)
        let between = try await Self.convert(
            bed, ["text": "A sentence in between.", "previous_request_ids": [firstId], "next_request_ids": [secondId]])
        #expect(between.status == 200, "\(between.body)")
        let sentBetween = try await Self.lastUpstreamBody(bed)
        #expect(sentBetween["previous_request_ids"] as? [String] == [upstreamId])
        #expect(sentBetween["next_request_ids"] as? [String] == [secondUpstream])
    }

    /// Ids VoiceVault never gave out, and ids of audio no longer stored, are refused with a code that says so;
    /// nothing is generated.
    @Test func unknownIdsAreRefused() async throws {
        let bed = try VoiceTestbed()
        let forged = StitchingRequestId.make(for: SHA256Digest.of("never generated"))
        for ids in [["0123456789abcdef"], [forged]] {
            let result = try await Self.convert(bed, ["text": "Stitched to nothing.", "previous_request_ids": ids])
            #expect(result.status == 400, "\(result.body)")
            #expect(result.body.contains("unknown_request_id"), "\(result.body)")
        }
        #expect(try await bed.upstreamCalls() == 0)
    }

    /// Once upstream no longer accepts the neighbour's id (the window is 0 here), its text goes instead, as
    /// `previous_text`; the hash is the same either way.
    @Test func outsideTheWindowTheNeighboursTextIsSent() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_STITCHING_WINDOW_SECONDS": "0"])
        let first = try await Self.convert(bed, ["text": "Long ago, a paragraph."])
        let firstId = try #require(first.header("request-id"))
        let second = try await Self.convert(bed, ["text": "And then another.", "next_request_ids": [firstId]])
        #expect(second.status == 200, "\(second.body)")
        let sent = try await Self.lastUpstreamBody(bed)
        #expect(sent["next_request_ids"] == nil)
        #expect(sent["next_text"] as? String == "Long ago, a paragraph.")
        let firstHex = try #require(first.header("x-content-hash"))
        let firstHash = try #require(SHA256Digest(hex: firstHex))
        let parsed = try SpeechSpec(
            text: "And then another.", voiceId: Self.voice,
            stitching: RequestStitching(previousAssets: [], nextAssets: [firstHash]))
        #expect(second.header("x-content-hash") == parsed.contentHash.hex)
    }
}

/// `normalized_alignment`: the spoken text's timings, stored with the generation and served by every timing
/// answer; captions follow the spoken text where it differs (the fake spells digits out, as upstream does).
@Suite struct SpokenTimingsTests {
    @Test func theSpokenTextIsStoredAndServedBesideTheWrittenOne() async throws {
        let bed = try VoiceTestbed()
        let url = bed.server.baseURL + "/v1/text-to-speech/\(RequestStitchingTests.voice)/with-timestamps"
        let headers = ["xi-api-key": VoiceTestbed.clientKey, "content-type": "application/json"]
        let body = #"{"text":"Chapter 5 begins on page 12."}"#
        var answers = [[String: Any]]()
        for expected in ["MISS", "HIT"] {
            let result = try await httpRequest("POST", url, headers: headers, body: body)
            #expect(result.header("x-cache") == expected)
            answers.append(json(result.body))
        }
        for answer in answers {
            let written = try #require(answer["alignment"] as? [String: Any])
            let spoken = try #require(answer["normalized_alignment"] as? [String: Any])
            #expect((written["characters"] as? [String])?.joined() == "Chapter 5 begins on page 12.")
            #expect((spoken["characters"] as? [String])?.joined() == "Chapter five begins on page onetwo.")
            let ends = try #require(spoken["character_end_times_seconds"] as? [Double])
            #expect(ends == ends.sorted())
        }
        #expect(try await bed.upstreamCalls() == 1)

        let hash = try VoiceTestbed.hash(text: "Chapter 5 begins on page 12.")
        let timings = json(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment").body)
        #expect(timings["text"] as? String == "Chapter 5 begins on page 12.")
        #expect(timings["spokenText"] as? String == "Chapter five begins on page onetwo.")
        #expect(timings["captions"] as? String == "spoken")
        let captions = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment?format=vtt")
        #expect(captions.header("x-voicevault-timings") == "spoken")
        #expect(captions.body.contains("NOTE timings follow the spoken text"))
        #expect(captions.body.contains("Chapter five begins on page onetwo."))
        let written = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment?format=vtt&follow=written")
        #expect(written.header("x-voicevault-timings") == "written")
        #expect(written.body.contains("Chapter 5 begins on page 12."))
        let bad = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment?format=vtt&follow=sung")
        #expect(bad.status == 400)
        let smil = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment?format=smil")
        #expect(smil.header("x-voicevault-timings") == "written")
        // The listen page says which text its highlighting follows.
        let page = try await httpRequest("GET", bed.server.baseURL + "/listen/sdk/\(hash)")
        #expect(page.body.contains(#"data-timings="written""#))

        // The streamed replay carries the spoken text piece by piece, as upstream streams it.
        let streamed = try await httpRequest(
            "POST", bed.server.baseURL + "/v1/text-to-speech/\(RequestStitchingTests.voice)/stream/with-timestamps",
            headers: headers, body: body)
        #expect(streamed.header("x-cache") == "HIT")
        let lines = streamed.body.split(separator: "\n").map { json(String($0)) }
        let spokenPieces = lines.compactMap { ($0["normalized_alignment"] as? [String: Any])?["characters"] as? [String] }
        #expect(spokenPieces.joined().joined() == "Chapter five begins on page onetwo.")
    }
}
