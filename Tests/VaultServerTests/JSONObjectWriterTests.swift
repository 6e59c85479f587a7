import Foundation
import NIOCore
import Testing
import VaultTestSupport
import VaultCore
@testable import VaultServer

/// The hand-written voice answers against `JSONEncoder` as the oracle: byte for byte the same text.
@Suite struct JSONObjectWriterTests {
    static func encoderText(_ body: VoiceResponseBody) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(body), as: UTF8.self)
    }

    /// Strings that exercise every escaping rule: quotes, backslashes, each control character, DEL, slashes,
    /// non-ASCII (accents, emoji, RTL, U+2028), empty.
    static let awkwardStrings: [String] = {
        var strings = [
            "", "plain", "a\"b", "back\\slash", "/audio/a/b.mp3", "é", "😀 emoji", "שלום", "line\u{2028}sep",
            "del\u{7F}", "mixed \"q\" \\ \n\t end",
        ]
        for control in 0..<0x20 { strings.append("x\(Character(Unicode.Scalar(UInt8(control))))y") }
        return strings
    }()

    @Test func everyEscapeMatchesTheEncoder() throws {
        for text in Self.awkwardStrings {
            let record = AssetRecord(
                contentHash: text, bookIds: [text, "b"], voiceId: text, modelId: text, outputFormat: text, byteSize: 1,
                sha256: text, durationSeconds: 1.5, wordCount: 2, characterCount: 3, createdAt: 0,
                upstreamRequestId: text, characterCost: 4)
            for body in [VoiceResponseBody.record(record, baseURL: text), .generated(record, book: text, cached: true, baseURL: nil)] {
                #expect(String(buffer: body.encoded()) == (try Self.encoderText(body)), "\(text.debugDescription)")
            }
        }
    }

    @Test func randomRecordsMatchTheEncoder() throws {
        var generator = SystemRandomNumberGenerator()
        func pick(_ strings: [String]) -> String { strings.randomElement(using: &generator) ?? "" }
        for _ in 0..<2_000 {
            let hash = SHA256Digest.of(UUID().uuidString).hex
            let durations: [Double] = [
                0, 1, 3.422, 61.5, 1e-7, 1e21, Double.random(in: 0..<10_000, using: &generator),
                Double(Int.random(in: 0..<100_000, using: &generator)) / 1000,
            ]
            let record = AssetRecord(
                contentHash: hash, bookIds: (0..<Int.random(in: 0...4, using: &generator)).map { "book-\($0)" },
                voiceId: pick(Self.awkwardStrings), modelId: "eleven_multilingual_v2", outputFormat: "mp3_44100_128",
                byteSize: Int.random(in: 0..<Int(Int32.max), using: &generator), sha256: hash,
                durationSeconds: durations.randomElement(using: &generator) ?? 0,
                wordCount: Int.random(in: 0..<50_000, using: &generator), characterCount: Int.random(in: 0..<200_000, using: &generator),
                createdAt: Double.random(in: 0..<2_000_000_000, using: &generator),
                upstreamRequestId: Bool.random(using: &generator) ? nil : "req_\(UUID().uuidString)",
                characterCost: Bool.random(using: &generator) ? nil : Int.random(in: 0..<200_000, using: &generator))
            let baseURL = Bool.random(using: &generator) ? nil : "https://cdn.example/vault"
            let bodies = [
                VoiceResponseBody.generated(record, book: "book-x", cached: Bool.random(using: &generator), baseURL: baseURL),
                VoiceResponseBody.record(record, baseURL: baseURL),
            ]
            for body in bodies {
                #expect(String(buffer: body.encoded()) == (try Self.encoderText(body)))
            }
        }
    }

    @Test func nonFiniteNumbersAreNull() {
        var writer = JSONObjectWriter()
        writer.field("a", Double.nan)
        writer.field("b", Double.infinity)
        writer.field("c", -0.0)
        #expect(String(buffer: writer.finish()) == #"{"a":null,"b":null,"c":-0}"#)
    }

    @Test func anEmptyObject() {
        var writer = JSONObjectWriter()
        writer.field("skipped", nil as String?)
        #expect(String(buffer: writer.finish()) == "{}")
    }
}
