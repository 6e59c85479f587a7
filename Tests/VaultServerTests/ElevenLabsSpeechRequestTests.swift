import Foundation
import Testing
@testable import VaultServer
import VaultCore

/// The SDK-compatible request bodies: what shapes the hash, what is refused, and that spelling never matters.
@Suite struct ElevenLabsSpeechRequestTests {
    static let voice = "21m00Tcm4TlvDq8ikWAM"

    static func parse(_ body: String, query: [String: String] = [:]) throws(APIError) -> SpeechSpec {
        try ElevenLabsSpeechRequest.parse(voiceId: voice, body: Array(body.utf8), query: query, maximumTextCharacters: 10_000).spec
    }

    static func code(_ body: String, query: [String: String] = [:]) -> String? {
        do {
            _ = try parse(body, query: query)
            return nil
        } catch { return error.code }
    }

    @Test func defaultsMatchTheVoiceAPIsHash() throws {
        let plain = try Self.parse(#"{"text":"Hello, world."}"#)
        #expect(plain.contentHash == (try SpeechSpec(text: "Hello, world.", voiceId: Self.voice).contentHash))
        #expect(plain.canonicalEncoding.starts(with: Array("VVCH1\n".utf8)))
    }

    @Test func nullsKeyOrderAndNumberSpellingHashAlike() throws {
        let spellings = [
            #"{"text":"Hi there.","voice_settings":{"stability":0.5,"speed":1}}"#,
            #"{"voice_settings":{"speed":1.0,"stability":0.50,"style":null,"clone_strength":null},"text":"Hi there.","seed":null}"#,
            #"{"text":"Hi there.","model_id":null,"previous_request_ids":[],"next_request_ids":null,"audio_effects":{}}"#,
            #"{"text":"Hi there.","apply_text_normalization":"auto","use_pvc_as_ivc":false,"pronunciation_dictionary_locators":[]}"#,
        ]
        let hashes = try Set(spellings.map { try Self.parse($0).contentHash })
        #expect(hashes.count == 1)
        #expect(
            try Self.parse(
                spellings[0],
                query: [
                    "output_format": "mp3_44100_128", "enable_logging": "false",
                    "optimize_streaming_latency": "0",
                ]
            ).contentHash == hashes.first)
    }

    @Test func everyExtensionFieldShapesTheHash() throws {
        let base = try Self.parse(#"{"text":"Hi there."}"#).contentHash
        let variants = [
            (#"{"text":"Hi there.","apply_text_normalization":"off"}"#, [String: String]()),
            (#"{"text":"Hi there.","apply_language_text_normalization":true}"#, [:]),
            (#"{"text":"Hi there.","use_pvc_as_ivc":true}"#, [:]),
            (#"{"text":"Hi there.","pronunciation_dictionary_locators":[{"pronunciation_dictionary_id":"d1","version_id":"v1"}]}"#, [:]),
            (#"{"text":"Hi there.","voice_settings":{"clone_strength":0.4}}"#, [:]),
            (#"{"text":"Hi there."}"#, ["optimize_streaming_latency": "3"]),
            (#"{"text":"Hi there."}"#, ["output_format": "mp3_22050_32"]),
            (#"{"text":"Hi there.","seed":7,"language_code":"en","previous_text":"Before.","next_text":"After."}"#, [:]),
        ]
        var hashes = Set([base])
        for (body, query) in variants {
            let spec = try Self.parse(body, query: query)
            #expect(hashes.insert(spec.contentHash).inserted, "\(body) \(query)")
        }
        let extended = try Self.parse(#"{"text":"Hi there.","use_pvc_as_ivc":true}"#)
        #expect(extended.canonicalEncoding.starts(with: Array("VVCH2\n".utf8)))
    }

    @Test func fieldsThatCannotBeCachedOrAreUnknownAreRefused() {
        let cases: [(String, [String: String], String)] = [
            (#"{"text":"x","previous_request_ids":["r1"]}"#, [:], "unknown_request_id"),
            (#"{"text":"x","next_request_ids":["r1"]}"#, [:], "unknown_request_id"),
            (#"{"text":"x","next_request_ids":"r1"}"#, [:], "invalid_field"),
            (#"{"text":"x","next_request_ids":[1]}"#, [:], "invalid_field"),
            (#"{"text":"x","audio_effects":{"reverb":1}}"#, [:], "unsupported_field"),
            (#"{"text":"x","surprise":1}"#, [:], "unknown_field"),
            (#"{"text":"x","voice_settings":{"warmth":1}}"#, [:], "unknown_field"),
            (
                #"{"text":"x","pronunciation_dictionary_locators":[{"pronunciation_dictionary_id":"d1"}]}"#, [:],
                "dictionary_version_required"
            ),
            (
                #"{"text":"x","pronunciation_dictionary_locators":[{"pronunciation_dictionary_id":"d/1","version_id":"v"}]}"#, [:],
                "invalid_field"
            ),
            (#"{"text":"x","apply_text_normalization":"sometimes"}"#, [:], "invalid_field"),
            (#"{"text":"x","use_pvc_as_ivc":1}"#, [:], "invalid_field"),
            (#"{"text":"x","voice_settings":{"stability":true}}"#, [:], "invalid_field"),
            (#"{"text":"x","voice_settings":{"speed":2}}"#, [:], "setting_out_of_range"),
            (#"{"text":"x","seed":1.5}"#, [:], "invalid_field"),
            (#"{"text":"x","seed":-1}"#, [:], "seed_out_of_range"),
            (#"{"text":1}"#, [:], "invalid_field"),
            (#"{"model_id":"m"}"#, [:], "missing_field"),
            (#"["text"]"#, [:], "invalid_json"),
            (#"{"text":"x""#, [:], "invalid_json"),
            (#"{"text":"x"}"#, ["output_format": "pcm_16000"], "unknown_format"),
            (#"{"text":"x"}"#, ["output_format": "flac"], "unknown_format"),
            (#"{"text":"x"}"#, ["optimize_streaming_latency": "5"], "invalid_field"),
            (#"{"text":"x"}"#, ["enable_logging": "maybe"], "invalid_field"),
            (#"{"text":"   "}"#, [:], "empty_text"),
        ]
        for (body, query, expected) in cases {
            #expect(Self.code(body, query: query) == expected, "\(body) \(query)")
        }
        #expect(
            Self.code(
                #"{"text":"x","pronunciation_dictionary_locators":[{"pronunciation_dictionary_id":"a","version_id":"1"},{"pronunciation_dictionary_id":"b","version_id":"1"},{"pronunciation_dictionary_id":"c","version_id":"1"},{"pronunciation_dictionary_id":"d","version_id":"1"}]}"#
            ) == "invalid_field")
    }

    /// Ids VoiceVault gave out stitch a request to their assets' content hashes, in order, whichever answer's
    /// id is sent; ids of another shape, and more than three on a side, are refused.
    @Test func requestIdsStitchByTheirAssetsContentHashes() throws {
        let a = SHA256Digest.of("asset a")
        let b = SHA256Digest.of("asset b")
        func ids(_ hashes: [SHA256Digest]) -> String {
            "[" + hashes.map { "\"" + StitchingRequestId.make(for: $0) + "\"" }.joined(separator: ",") + "]"
        }
        let plain = try Self.parse(#"{"text":"Hi there."}"#)
        let stitched = try Self.parse(#"{"text":"Hi there.","previous_request_ids":"# + ids([a, b]) + "}")
        #expect(stitched.stitching.previousAssets == [a, b])
        #expect(stitched.canonicalEncoding.starts(with: Array("VVCH3\n".utf8)))
        #expect(stitched.contentHash != plain.contentHash)
        // Another answer's ids for the same assets: the same hash.
        #expect(try Self.parse(#"{"text":"Hi there.","previous_request_ids":"# + ids([a, b]) + "}").contentHash == stitched.contentHash)
        // Order and side matter.
        #expect(try Self.parse(#"{"text":"Hi there.","previous_request_ids":"# + ids([b, a]) + "}").contentHash != stitched.contentHash)
        #expect(try Self.parse(#"{"text":"Hi there.","next_request_ids":"# + ids([a, b]) + "}").contentHash != stitched.contentHash)
        #expect(Self.code(#"{"text":"x","previous_request_ids":"# + ids([a, b, a, b]) + "}") == "invalid_field")
        // An empty list is no stitching.
        #expect(try Self.parse(#"{"text":"Hi there.","previous_request_ids":[]}"#).contentHash == plain.contentHash)
    }

    @Test func stitchingRequestIdsNameTheirAssetAndNothingElse() {
        let hash = SHA256Digest.of("asset")
        let id = StitchingRequestId.make(for: hash)
        #expect(StitchingRequestId.asset(of: id) == hash)
        #expect(StitchingRequestId.make(for: hash) != id)
        let tail = String(id.suffix(12))
        var forgeries: [String] = ["", "vv_", "vv_" + hash.hex, "vv_" + hash.hex + "_", id + "0", String(id.dropLast())]
        forgeries.append(id.uppercased())
        forgeries.append("xx_" + String(id.dropFirst(3)))
        forgeries.append("vv_" + hash.hex.uppercased() + "_" + tail)
        forgeries.append(id.replacingOccurrences(of: "_", with: "-"))
        for forged in forgeries {
            #expect(StitchingRequestId.asset(of: forged) == nil, "\(forged)")
        }
    }

    /// An attack: JSON nested deeper than any request needs must be refused, not recursed into until the stack
    /// runs out.
    @Test func deeplyNestedBodiesAreRefusedNotRecursedInto() {
        for depth in [600, 100_000] {
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            #expect(Self.code(nested) == "invalid_json", "depth \(depth)")
            #expect(
                Self.code(
                    #"{"text":"x","voice_settings":"# + String(repeating: #"{"a":"#, count: depth) + "1"
                        + String(repeating: "}", count: depth + 1)) == "invalid_json")
        }
    }

    @Test func openAIBodiesMapOntoTheElevenLabsSpec() throws {
        func parse(_ body: String) throws(APIError) -> SpeechSpec {
            try OpenAISpeechRequest.parse(body: Array(body.utf8), maximumTextCharacters: 10_000).spec
        }
        let plain = try parse(#"{"model":"tts-1","voice":"21m00Tcm4TlvDq8ikWAM","input":"Hello, world."}"#)
        #expect(plain.contentHash == (try SpeechSpec(text: "Hello, world.", voiceId: Self.voice).contentHash))
        #expect(
            try parse(
                #"{"model":"gpt-4o-mini-tts","voice":"21m00Tcm4TlvDq8ikWAM","input":"Hello, world.","response_format":"mp3","speed":1}"#)
                == plain)
        #expect(try parse(#"{"model":"eleven_flash_v2_5","voice":"v1","input":"Hi."}"#).modelId == "eleven_flash_v2_5")
        #expect(try parse(#"{"model":"tts-1","voice":"v1","input":"Hi.","speed":1.1}"#).voiceSettings.speedE4 == 11_000)
        func code(_ body: String) -> String? {
            do {
                _ = try parse(body)
                return nil
            } catch { return error.code }
        }
        #expect(code(#"{"model":"tts-1","voice":"v1","input":"Hi.","response_format":"wav"}"#) == "unknown_format")
        #expect(code(#"{"model":"tts-1","voice":"v1","input":"Hi.","response_format":"aac"}"#) == "format_not_produced_upstream")
        #expect(code(#"{"model":"tts-1","voice":"v1","input":"Hi.","response_format":"flac"}"#) == "format_not_produced_upstream")
        #expect(code(#"{"model":"tts-1","voice":"v1","input":"Hi.","instructions":"Whisper."}"#) == "unsupported_field")
        #expect(code(#"{"model":"tts-1","voice":"v1","input":"Hi.","stream_format":"sse"}"#) == "unsupported_field")
        #expect(code(#"{"model":"tts-1","voice":"v1","input":"Hi.","speed":0.25}"#) == "setting_out_of_range")
        #expect(code(#"{"model":"tts-1","input":"Hi."}"#) == "missing_field")
        #expect(code(#"{"model":"tts-1","voice":"v1","input":"Hi.","temperature":1}"#) == "unknown_field")
    }
}
