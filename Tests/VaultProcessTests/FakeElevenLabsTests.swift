import Foundation
import NIOCore
import Testing
import VaultTestSupport
import VaultCore

/// The fake upstream itself: it must speak the endpoints the real ElevenLabs API has, or tests against it prove
/// nothing about the real thing.
@Suite struct FakeElevenLabsTests {
    @Test func everyTextToSpeechEndpointAnswersLikeElevenLabs() async throws {
        let fake = try ServerProcess(executable: "fake-elevenlabs", arguments: ["--port", "0"])
        defer { _ = fake.terminate(signal: SIGKILL) }
        let base = fake.baseURL + "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM"
        let short = #"{"text":"Short.","model_id":"eleven_multilingual_v2"}"#
        let long = #"{"text":"A much longer text that should take noticeably longer to speak aloud.","model_id":"eleven_multilingual_v2"}"#

        let convert = try await rawRequest(base + "?output_format=mp3_44100_128", body: short)
        #expect(convert.status == 200)
        #expect(convert.header("content-type") == "audio/mpeg")
        #expect(convert.header("character-cost") == "6")
        #expect(convert.header("request-id")?.isEmpty == false)
        let shortInfo = try MP3Inspector.inspect(convert.bytes)
        let longInfo = try MP3Inspector.inspect(try await rawRequest(base, body: long).bytes)
        #expect(longInfo.durationSeconds > shortInfo.durationSeconds * 3, "duration grows with the text")

        let stream = try await rawRequest(base + "/stream", body: short)
        #expect(stream.status == 200)
        #expect(try MP3Inspector.inspect(stream.bytes).audioFrameCount == shortInfo.audioFrameCount)

        // One JSON object, or (streamed) several lines each ending in a line feed, each with its own slice of the
        // audio and the characters spoken in it, times counted from the start.
        for (path, lines) in [("/with-timestamps", 1...1), ("/stream/with-timestamps", 2...100)] {
            let result = try await rawRequest(base + path, body: short)
            let text = String(decoding: result.bytes, as: UTF8.self)
            #expect(path.hasPrefix("/stream") == text.hasSuffix("\n"))
            let objects = try text.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }
            #expect(lines.contains(objects.count), "\(path): \(objects.count) lines")
            var audio = [UInt8]()
            var characters = [String]()
            var ends = [Double]()
            for object in objects {
                audio += Array(try #require(Data(base64Encoded: object["audio_base64"] as? String ?? "")))
                guard let alignment = object["alignment"] as? [String: Any] else { continue }
                characters += alignment["characters"] as? [String] ?? []
                ends += alignment["character_end_times_seconds"] as? [Double] ?? []
            }
            #expect(try MP3Inspector.inspect(audio).audioFrameCount == shortInfo.audioFrameCount)
            #expect(characters == ["S", "h", "o", "r", "t", "."])
            #expect(ends.count == 6 && ends == ends.sorted())
        }

        let voices = json(try await httpRequest("GET", fake.baseURL + "/v1/voices").body)
        #expect((voices["voices"] as? [[String: Any]])?.first?["voice_id"] as? String == "21m00Tcm4TlvDq8ikWAM")
        let models = try await httpRequest("GET", fake.baseURL + "/v1/models")
        #expect(models.body.contains(#""maximum_text_length_per_request":10000"#))

        // Errors in ElevenLabs' shapes; unset voice settings must be omitted, as the real API demands.
        let wrongKey = try await rawRequest(base, body: short, key: "nope")
        #expect(wrongKey.status == 401)
        #expect(String(decoding: wrongKey.bytes, as: UTF8.self).contains(#""status":"invalid_api_key""#))
        let nullSetting = try await rawRequest(base, body: #"{"text":"x","voice_settings":{"stability":null}}"#)
        #expect(nullSetting.status == 422)
        let calls = json(try await httpRequest("GET", fake.baseURL + "/_fake/calls").body)
        #expect(calls["total"] as? Int == 7)
    }

    @Test func theMaximumConcurrencyIsEnforcedWithTheRealError() async throws {
        let fake = try ServerProcess(
            executable: "fake-elevenlabs", arguments: ["--port", "0", "--max-concurrent", "2", "--latency-ms", "300"])
        defer { _ = fake.terminate(signal: SIGKILL) }
        let url = fake.baseURL + "/v1/text-to-speech/v"
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<5 { group.addTask { try await self.rawRequest(url, body: #"{"text":"hi"}"#).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 2)
        #expect(statuses.filter { $0 == 429 }.count == 3)
    }

    /// Every output format upstream offers comes back in that format, passing its own check, as long as the text
    /// says; WAV only from the routes that do not stream, as upstream offers it.
    @Test func everyOutputFormatIsAnsweredInItsFormat() async throws {
        let fake = try ServerProcess(executable: "fake-elevenlabs", arguments: ["--port", "0"])
        defer { _ = fake.terminate(signal: SIGKILL) }
        let base = fake.baseURL + "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM"
        let body = #"{"text":"Thirty characters of speech..."}"#
        for value in OutputFormat.all.sorted() {
            let format = try #require(AudioFormat(outputFormat: value))
            let convert = try await rawRequest(base + "?output_format=" + value, body: body)
            #expect(convert.status == 200, "\(value)")
            #expect(convert.header("content-type") == format.contentType)
            let duration = try AudioInspection.durationSeconds(convert.bytes, format: format)
            #expect(abs(duration - 2) < 0.03, "\(value): \(duration)")
            let stream = try await rawRequest(base + "/stream?output_format=" + value, body: body)
            if format.isStreamedUpstream {
                #expect(stream.bytes == convert.bytes, "\(value)")
            } else {
                #expect(stream.status == 400, "\(value)")
            }
        }
    }

    /// A text-to-speech POST as the SDK sends it.
    func rawRequest(_ url: String, body: String, key: String = "fake-key") async throws -> HTTPResult {
        try await httpRequest("POST", url, headers: ["xi-api-key": key, "content-type": "application/json"], body: body)
    }
}
