import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// A chapter with characters through both doors: ElevenLabs' `/v1/text-to-dialogue` and `POST /api/voice`'s
/// `dialogue`, against the fake upstream's dialogue endpoints.
@Suite struct DialogueTests {
    static let narrator = "21m00Tcm4TlvDq8ikWAM"
    static let hero = "pNInz6obpgDQGcFmaJgB"

    @Test func aDialogueIsGeneratedOnceWithItsVoicesAndServedFromTheCache() async throws {
        let bed = try VoiceTestbed()
        let url = bed.server.baseURL + "/v1/text-to-dialogue/with-timestamps"
        let headers = ["xi-api-key": VoiceTestbed.clientKey, "content-type": "application/json", "x-voicevault-book": "novel"]
        let body =
            #"{"inputs":[{"text":"Where are you going?","voice_id":"\#(Self.narrator)"},{"text":"Home, at last.","voice_id":"\#(Self.hero)"}]}"#
        var answers = [[String: Any]]()
        for expected in ["MISS", "HIT"] {
            let result = try await httpRequest("POST", url, headers: headers, body: body)
            #expect(result.status == 200, "\(result.body)")
            #expect(result.header("x-cache") == expected)
            answers.append(json(result.body))
        }
        #expect(try await bed.upstreamCalls() == 1)
        let sent = try await httpRequest("GET", bed.fake.baseURL + "/_fake/requests")
        let upstream = try #require((try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [[String: Any]])?.last)
        #expect((upstream["inputs"] as? [[String: String]])?.map { $0["voice_id"] ?? "" } == [Self.narrator, Self.hero])
        #expect(upstream["model_id"] as? String == "eleven_v3")
        for answer in answers {
            let segments = try #require(answer["voice_segments"] as? [[String: Any]])
            #expect(segments.compactMap { $0["voice_id"] as? String } == [Self.narrator, Self.hero])
            #expect(segments.compactMap { $0["dialogue_input_index"] as? Int } == [0, 1])
            let characters = try #require((answer["alignment"] as? [String: Any])?["characters"] as? [String])
            let hero = try #require(segments.last)
            let from = try #require(hero["character_start_index"] as? Int)
            let to = try #require(hero["character_end_index"] as? Int)
            #expect(characters[from..<to].joined() == "Home, at last.")
        }

        // The same lines through /api/voice are the same audio: a hit in another book, nothing generated.
        let api = try await bed.post(
            #"{"bookId":"other-book","dialogue":[{"text":"Where are you going?","voiceId":"\#(Self.narrator)"},{"text":"Home, at last.","voiceId":"\#(Self.hero)"}]}"#
        )
        #expect(api.status == 200, "\(api.body)")
        #expect(json(api.body)["cached"] as? Bool == true)
        #expect(try await bed.upstreamCalls() == 1)
        let hash = try #require(json(api.body)["contentHash"] as? String)
        #expect(FileManager.default.fileExists(atPath: bed.dataDirectory + "/audio/other-book/\(hash).mp3"))

        // The timings keep who speaks when; the listen page shows each line with its speaker.
        let listen = try await httpRequest("GET", bed.server.baseURL + "/listen/other-book/\(hash)")
        #expect(listen.status == 200)
        #expect(listen.body.contains(#"<p class="line" data-voice="\#(Self.narrator)"><b class="speaker">\#(Self.narrator)</b>"#))
        #expect(listen.body.contains(#"<p class="line" data-voice="\#(Self.hero)"><b class="speaker">\#(Self.hero)</b>"#))
        let timings = json(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment").body)
        #expect((timings["voice_segments"] as? [[String: Any]])?.count == 2)
    }

    @Test func apiVoiceRefusesAMixOfSpeechAndDialogue() async throws {
        let bed = try VoiceTestbed()
        let mixed = try await bed.post(#"{"bookId":"b","text":"Hi.","dialogue":[{"text":"Hi.","voiceId":"v1"}]}"#)
        #expect(mixed.status == 400)
        #expect(json(mixed.body)["error"] as? String == "conflicting_fields")
        let tooMany = (0...10).map { #"{"text":"Line.","voiceId":"v\#($0)"}"# }.joined(separator: ",")
        let voices = try await bed.post(#"{"bookId":"b","dialogue":[\#(tooMany)]}"#)
        #expect(voices.status == 400)
        #expect(try await bed.upstreamCalls() == 0)
    }
}
