import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// `Fixtures/hash-vectors.json` is produced by an independent Python implementation of Docs/HASHING.md
/// (Scripts/make-hash-vectors.py); these tests make the Swift implementation agree with it byte for byte.
@Suite struct HashVectorTests {
    struct Vector: Decodable, Sendable {
        let name: String
        let input: [String: JSONValue]
        let canonicalText: String
        let contentHash: String
        let canonicalEncoding: String?
    }

    struct LegacyVector: Decodable {
        struct Row: Decodable {
            let text: String
            let voiceId: String
            let model: String
            let speakingRate: Double
            let format: String
        }
        let input: Row
        let legacyHash: String
        let contentHash: String
    }

    struct Document: Decodable, Sendable {
        let version: String
        let vectors: [Vector]
        let sameHash: [[String]]
        let legacy: [LegacyVector]
    }

    enum JSONValue: Decodable, Sendable {
        case string(String), number(Double), bool(Bool), array([JSONValue]), object([String: JSONValue])
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode([JSONValue].self) {
                self = .array(value)
            } else if let value = try? container.decode([String: JSONValue].self) {
                self = .object(value)
            } else {
                self = .string(try container.decode(String.self))
            }
        }
        var array: [JSONValue]? { if case let .array(a) = self { a } else { nil } }
        var object: [String: JSONValue]? { if case let .object(o) = self { o } else { nil } }
        var string: String? { if case let .string(s) = self { s } else { nil } }
        var number: Double? { if case let .number(n) = self { n } else { nil } }
        var bool: Bool? { if case let .bool(b) = self { b } else { nil } }
    }

    static let document: Document = {
        let data = FileManager.default.contents(atPath: TestPaths.fixture("hash-vectors.json")) ?? Data()
        // swiftlint:disable:next force_try
        return try! JSONDecoder().decode(Document.self, from: data)
    }()

    static func spec(_ input: [String: JSONValue]) throws -> SpeechSpec {
        if let inputs = input["inputs"]?.array { return try dialogue(input, inputs) }
        return try SpeechSpec(
            text: input["text"]?.string ?? "",
            voiceId: input["voice_id"]?.string ?? "",
            modelId: input["model_id"]?.string,
            outputFormat: input["output_format"]?.string,
            languageCode: input["language_code"]?.string,
            seed: input["seed"]?.number.map { Int64($0) },
            voiceSettings: VoiceSettings(
                stability: input["stability"]?.number, similarityBoost: input["similarity_boost"]?.number,
                style: input["style"]?.number, useSpeakerBoost: input["use_speaker_boost"]?.bool,
                speed: input["speed"]?.number),
            previousText: input["previous_text"]?.string,
            nextText: input["next_text"]?.string,
            extensions: SpeechExtensions(
                textNormalization: input["apply_text_normalization"]?.string.flatMap(SpeechExtensions.TextNormalization.init) ?? .auto,
                languageTextNormalization: input["apply_language_text_normalization"]?.bool ?? false,
                usePvcAsIvc: input["use_pvc_as_ivc"]?.bool ?? false,
                pronunciationDictionaries: (input["pronunciation_dictionary_locators"]?.array ?? []).map { item throws(SpeechSpecError) in
                    try SpeechExtensions.DictionaryLocator(
                        dictionaryId: item.object?["pronunciation_dictionary_id"]?.string ?? "",
                        versionId: item.object?["version_id"]?.string ?? "")
                },
                cloneStrength: input["clone_strength"]?.number,
                optimizeStreamingLatency: Int(input["optimize_streaming_latency"]?.number ?? 0)),
            stitching: RequestStitching(
                previousAssets: (input["previous_assets"]?.array ?? []).compactMap { $0.string.flatMap(SHA256Digest.init(hex:)) },
                nextAssets: (input["next_assets"]?.array ?? []).compactMap { $0.string.flatMap(SHA256Digest.init(hex:)) }))
    }

    static func dialogue(_ input: [String: JSONValue], _ inputs: [JSONValue]) throws -> SpeechSpec {
        let settings = input["settings"]?.object ?? [:]
        let hashes = { (name: String) in (input[name]?.array ?? []).compactMap { $0.string.flatMap(SHA256Digest.init(hex:)) } }
        return try SpeechSpec(
            dialogue: DialogueScript(
                lines: inputs.map { line in (line.object?["text"]?.string ?? "", line.object?["voice_id"]?.string ?? "") },
                stability: settings["stability"]?.number, similarity: settings["similarity"]?.number),
            modelId: input["model_id"]?.string, outputFormat: input["output_format"]?.string,
            languageCode: input["language_code"]?.string, seed: input["seed"]?.number.map { Int64($0) },
            previousText: input["previous_text"]?.string, nextText: input["future_text"]?.string,
            extensions: SpeechExtensions(
                textNormalization: input["apply_text_normalization"]?.string.flatMap(SpeechExtensions.TextNormalization.init) ?? .auto,
                usePvcAsIvc: input["use_pvc_as_ivc"]?.bool ?? false,
                cloneStrength: settings["clone_strength"]?.number),
            stitching: RequestStitching(previousAssets: hashes("previous_assets"), nextAssets: hashes("next_assets")))
    }

    @Test func fixtureHasEnoughVectors() {
        #expect(Self.document.version == ContentHashEncoding.v3Magic)
        for magic in [ContentHashEncoding.v1Magic, ContentHashEncoding.v2Magic, ContentHashEncoding.v3Magic, DialogueHashEncoding.v1Magic] {
            #expect(Self.document.vectors.contains { $0.canonicalEncoding?.hasPrefix(magic + "\n") == true }, "\(magic)")
        }
        #expect(Self.document.vectors.count >= 20)
    }

    @Test(arguments: document.vectors.map(\.name))
    func vectorMatches(name: String) throws {
        let vector = try #require(Self.document.vectors.first { $0.name == name })
        let spec = try Self.spec(vector.input)
        #expect(spec.text == vector.canonicalText)
        if let encoding = vector.canonicalEncoding {
            #expect(String(decoding: spec.canonicalEncoding, as: UTF8.self) == encoding)
        }
        #expect(spec.contentHash.hex == vector.contentHash)
    }

    @Test func groupsThatMustHashAlikeDo() {
        let hashes = Dictionary(uniqueKeysWithValues: Self.document.vectors.map { ($0.name, $0.contentHash) })
        for group in Self.document.sameHash {
            #expect(Set(group.compactMap { hashes[$0] }).count == 1, "group \(group)")
        }
        // Everything not declared alike differs: each vector varies one thing.
        let groups = Self.document.sameHash.count
        let grouped = Self.document.sameHash.reduce(0) { $0 + $1.count }
        #expect(Set(hashes.values).count == hashes.count - grouped + groups)
    }

    @Test func tenThousandCharacterTextIsCoveredAndIntact() throws {
        let vector = try #require(Self.document.vectors.first { $0.name == "long-10000" })
        #expect(vector.canonicalText.unicodeScalars.count == 10_000 - 1)  // trailing space trimmed
    }

    @Test func legacyHashesAndTheirMapping() throws {
        for vector in Self.document.legacy {
            let row = vector.input
            #expect(
                LegacyContentHash.compute(
                    text: row.text, voiceId: row.voiceId, model: row.model, speakingRate: row.speakingRate,
                    format: row.format
                ).hex == vector.legacyHash)
            let mapped = try SpeechSpec(
                text: row.text, voiceId: row.voiceId, modelId: row.model, outputFormat: row.format,
                voiceSettings: VoiceSettings(speed: row.speakingRate))
            #expect(mapped.contentHash.hex == vector.contentHash)
        }
    }

    @Test func javaScriptNumberFormatting() {
        #expect(LegacyContentHash.javaScriptNumber(1.0) == "1")
        #expect(LegacyContentHash.javaScriptNumber(0.9) == "0.9")
        #expect(LegacyContentHash.javaScriptNumber(1.25) == "1.25")
        #expect(LegacyContentHash.javaScriptNumber(2) == "2")
    }
}
