import Foundation
import Testing
@testable import VaultServer
import VaultCore

/// `POST /v1/text-to-dialogue`'s body as the SDKs send it, validated as upstream does and hashed as `VVCD1`.
@Suite struct ElevenLabsDialogueRequestTests {
    static let twoLines = #"{"inputs":[{"text":"Where to?","voice_id":"v1"},{"text":"Home.","voice_id":"v2"}]"#

    static func parse(_ body: String, query: [String: String] = [:]) throws(APIError) -> SpeechSpec {
        try ElevenLabsDialogueRequest.parse(body: Array(body.utf8), query: query, maximumTextCharacters: 200_000)
    }

    static func code(_ body: String, query: [String: String] = [:]) -> String? {
        do {
            _ = try parse(body, query: query)
            return nil
        } catch { return error.code }
    }

    @Test func linesAreHashedAsADialogueOfTheirOwnKind() throws {
        let spec = try Self.parse(Self.twoLines + "}")
        #expect(spec.dialogue?.lines.map(\.voiceId) == ["v1", "v2"])
        #expect(spec.modelId == "eleven_v3")
        #expect(spec.characterCount == 14)
        #expect(spec.canonicalEncoding.starts(with: Array("VVCD1\n".utf8)))
        // The same words as one voice's speech are other audio.
        let speech = try SpeechSpec(text: "Where to?\nHome.", voiceId: "v1", modelId: "eleven_v3")
        #expect(speech.contentHash != spec.contentHash)
        // Nulls, key order and number spelling do not matter; the lines' order and voices do.
        #expect(
            try Self.parse(
                #"{"settings":null,"seed":null,"inputs":[{"voice_id":"v1","text":"Where to?"},{"voice_id":"v2","text":"Home."}]}"#
            )
            .contentHash == spec.contentHash)
        #expect(
            try Self.parse(#"{"inputs":[{"text":"Home.","voice_id":"v2"},{"text":"Where to?","voice_id":"v1"}]}"#).contentHash
                != spec.contentHash)
        #expect(
            try Self.parse(#"{"inputs":[{"text":"Where to?","voice_id":"v2"},{"text":"Home.","voice_id":"v1"}]}"#).contentHash
                != spec.contentHash)
        #expect(try Self.parse(Self.twoLines + #","settings":{"stability":0.5}}"#).contentHash != spec.contentHash)
        #expect(
            try Self.parse(Self.twoLines + #","settings":{"stability":0.5}}"#).contentHash
                == Self.parse(Self.twoLines + #","settings":{"stability":0.50}}"#).contentHash)
        #expect(try Self.parse(Self.twoLines + "}", query: ["output_format": "mp3_22050_32"]).contentHash != spec.contentHash)
    }

    @Test func refusedAsUpstreamRefusesOrAsTheCacheMust() {
        let elevenVoices = (0...10).map { #"{"text":"Line.","voice_id":"v\#($0)"}"# }.joined(separator: ",")
        let tenVoices = (0..<10).map { #"{"text":"Line.","voice_id":"v\#($0)"}"# }.joined(separator: ",")
        let long = String(repeating: "Talk. ", count: 501)
        let cases: [(String, [String: String], String)] = [
            (#"{"inputs":[\#(elevenVoices)]}"#, [:], "invalid_field"),
            (#"{"inputs":[{"text":"\#(long)","voice_id":"v1"}]}"#, [:], "text_too_long"),
            (#"{"inputs":[]}"#, [:], "invalid_field"),
            (#"{"inputs":[{"text":"  ","voice_id":"v1"}]}"#, [:], "invalid_field"),
            (#"{"inputs":[{"text":"Hi.","voice_id":"v/1"}]}"#, [:], "invalid_voice_id"),
            (#"{"inputs":[{"text":"Hi."}]}"#, [:], "invalid_field"),
            (#"{"inputs":[{"text":"Hi.","voice_id":"v1","speaker":"x"}]}"#, [:], "invalid_field"),
            (#"{"inputs":"Hi."}"#, [:], "invalid_field"),
            (#"{"text":"Hi."}"#, [:], "unknown_field"),
            (#"{}"#, [:], "missing_field"),
            (#"{"inputs":[{"text":"Hi.","voice_id":"v1"}],"settings":{"speed":1}}"#, [:], "unknown_field"),
            (#"{"inputs":[{"text":"Hi.","voice_id":"v1"}],"settings":{"stability":2}}"#, [:], "setting_out_of_range"),
            (#"{"inputs":[{"text":"Hi.","voice_id":"v1"}],"next_request_ids":["r"]}"#, [:], "unknown_request_id"),
            (#"{"inputs":[{"text":"Hi.","voice_id":"v1"}],"audio_effects":{"pan":1}}"#, [:], "unsupported_field"),
            (#"{"inputs":[{"text":"Hi.","voice_id":"v1"}]}"#, ["optimize_streaming_latency": "1"], "invalid_field"),
            (#"{"inputs":[{"text":"Hi.","voice_id":"v1"}]}"#, ["output_format": "pcm_16000"], "unknown_format"),
        ]
        for (body, query, expected) in cases {
            #expect(Self.code(body, query: query) == expected, "\(body.prefix(80)) \(query)")
        }
        #expect(Self.code(#"{"inputs":[\#(tenVoices)]}"#) == nil)
        // A model that takes more text takes a longer dialogue.
        #expect(Self.code(#"{"inputs":[{"text":"\#(long)","voice_id":"v1"}],"model_id":"eleven_multilingual_v2"}"#) == nil)
    }
}
