import Foundation
import Testing
@testable import ElevenLabs
import VaultCore

/// The upstream's newline-delimited timestamped stream, fed at every possible split.
@Suite struct TimestampedStreamDecoderTests {
    static func line(_ audio: [UInt8], _ characters: [String]?, start: Double = 0) -> String {
        var object: [String: Any] = ["audio_base64": Data(audio).base64EncodedString(), "normalized_alignment": NSNull()]
        if let characters {
            object["alignment"] = [
                "characters": characters,
                "character_start_times_seconds": characters.indices.map { start + Double($0) * 0.1 },
                "character_end_times_seconds": characters.indices.map { start + Double($0 + 1) * 0.1 },
            ]
        } else {
            object["alignment"] = NSNull()
        }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n"
    }

    static let body = Array((line([1, 2, 3], ["H", "i"]) + "\n" + line([4, 5], nil) + line([6], ["!"], start: 0.2)).utf8)

    @Test func everySplitOfTheBodyDecodesAlike() throws {
        for cut in 0...Self.body.count {
            var decoder = TimestampedStreamDecoder(maximumLineBytes: 1000)
            var chunks = try decoder.feed(Self.body[..<cut])
            chunks += try decoder.feed(Self.body[cut...])
            if let last = try decoder.finish() { chunks.append(last) }
            #expect(chunks.map(\.audio) == [[1, 2, 3], [4, 5], [6]], "cut at \(cut)")
            #expect(chunks[1].alignment == nil)
            #expect(chunks[2].alignment?.characters.first?.startMilliseconds == 200)
        }
    }

    @Test func theSpokenTextIsKeptBesideTheWrittenOne() throws {
        let object: [String: Any] = [
            "audio_base64": Data([1, 2]).base64EncodedString(),
            "alignment": ["characters": ["5"], "character_start_times_seconds": [0.0], "character_end_times_seconds": [0.4]],
            "normalized_alignment": [
                "characters": ["f", "i", "v", "e"], "character_start_times_seconds": [0.0, 0.1, 0.2, 0.3],
                "character_end_times_seconds": [0.1, 0.2, 0.3, 0.4],
            ],
        ]
        var decoder = TimestampedStreamDecoder(maximumLineBytes: 1 << 20)
        let chunks = try decoder.feed(Array(try JSONSerialization.data(withJSONObject: object)) + [0x0A])
        #expect(chunks.first?.alignment?.text == "5")
        #expect(chunks.first?.alignment?.spokenText == "five")
        #expect(chunks.first?.alignment?.spoken?.last?.endMilliseconds == 400)
        var broken = object
        broken["normalized_alignment"] = ["characters": ["f"], "character_start_times_seconds": [], "character_end_times_seconds": []]
        var strict = TimestampedStreamDecoder(maximumLineBytes: 1 << 20)
        #expect(throws: TimestampedStreamDecoder.Failure.self) {
            try strict.feed(Array(try JSONSerialization.data(withJSONObject: broken)) + [0x0A])
        }
    }

    @Test func aLastLineWithoutALineFeedIsKept() throws {
        var decoder = TimestampedStreamDecoder(maximumLineBytes: 1000)
        #expect(try decoder.feed(Array(Self.line([9], ["x"]).dropLast().utf8)).isEmpty)
        #expect(try decoder.finish()?.audio == [9])
        #expect(try decoder.finish() == nil)
    }

    @Test func malformedLinesAreErrorsNotSkipped() throws {
        for bad in [
            "<html>\n", "{\"alignment\":null}\n", "{\"audio_base64\":\"%%%\"}\n",
            #"{"audio_base64":"AA==","alignment":{"characters":["a"],"character_start_times_seconds":[],"character_end_times_seconds":[0]}}"#
                + "\n",
        ] {
            var decoder = TimestampedStreamDecoder(maximumLineBytes: 1000)
            #expect(throws: TimestampedStreamDecoder.Failure.self, "\(bad)") { _ = try decoder.feed(Array(bad.utf8)) }
        }
    }

    @Test func aLineCannotGrowPastItsLimit() throws {
        var decoder = TimestampedStreamDecoder(maximumLineBytes: 64)
        _ = try decoder.feed([UInt8](repeating: 0x41, count: 60))
        #expect(throws: TimestampedStreamDecoder.Failure.lineTooLong(limit: 64)) {
            _ = try decoder.feed([UInt8](repeating: 0x41, count: 5))
        }
    }
}
