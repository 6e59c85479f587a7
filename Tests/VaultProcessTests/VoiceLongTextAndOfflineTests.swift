import Foundation
import NIOCore
import Testing
import VaultTestSupport
import VaultCore

@Suite struct VoiceLongTextAndOfflineTests {
    /// eleven_v3 takes 3,000 characters per request: a 7,500-character chapter goes up as three sentence-aligned
    /// chunks with their neighbours as stitching context, and comes back as one MP3 with the summed duration.
    @Test func longTextIsSplitAtSentencesAndJoinedIntoOneMP3() async throws {
        let bed = try VoiceTestbed()
        let sentence = "This sentence is part of a very long chapter that goes on and on. "
        let text = String(repeating: sentence, count: 113).trimmingCharacters(in: .whitespaces)
        #expect(text.count > 7_400)
        let result = try await bed.post(VoiceTestbed.requestBody(text: text, voice: "longVoice", extra: #""model":"eleven_v3""#))
        #expect(result.status == 200, "\(result.body)")
        #expect(try await bed.upstreamCalls(voice: "longVoice") == 3)

        let sent = try await httpRequest("GET", bed.fake.baseURL + "/_fake/requests")
        let bodies = try #require(try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [[String: Any]])
        let chunks = bodies.compactMap { $0["text"] as? String }
        #expect(chunks.count == 3)
        #expect(chunks.allSatisfy { $0.unicodeScalars.count <= 3_000 && $0.hasSuffix("on and on.") })
        #expect(chunks.joined(separator: " ") == text)
        #expect(bodies[0]["previous_text"] == nil)
        #expect((bodies[0]["next_text"] as? String)?.hasPrefix("This sentence") == true)
        #expect((bodies[1]["previous_text"] as? String)?.hasSuffix("on and on.") == true)
        #expect(bodies[2]["next_text"] == nil)
        #expect(bodies.allSatisfy { ($0["model_id"] as? String) == "eleven_v3" })

        // One valid MP3: a single header in front, frames after, duration the sum of the pieces.
        let answer = json(result.body)
        let hash = try #require(answer["contentHash"] as? String)
        let audio = try FileSystem.readFile(bed.dataDirectory + "/audio/book-1/\(hash).mp3")
        let info = try MP3Inspector.inspect(audio)
        let expected = chunks.map { max(0.3, Double($0.unicodeScalars.count) / 15) }.reduce(0, +)
        #expect(abs(info.durationSeconds - expected) < 0.1, "\(info.durationSeconds) vs \(expected)")
        #expect(abs((answer["durationSec"] as? Double ?? 0) - info.durationSeconds) < 0.001)
        #expect(answer["characterCost"] as? Int == chunks.map { $0.unicodeScalars.count }.reduce(0, +))

        // One alignment over the whole text, its times absolute: each chunk's characters start where the audio
        // of the chunks before it ends.
        let timings = json(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment").body)
        #expect(timings["text"] as? String == text)
        let sentences = try #require(timings["sentences"] as? [[String: Any]])
        #expect(sentences.count == 113)
        let starts = sentences.compactMap { $0["start"] as? Double }
        #expect(starts == starts.sorted())
        let last = try #require(sentences.last?["end"] as? Double)
        #expect(abs(last - info.durationSeconds) < 0.1, "\(last) vs \(info.durationSeconds)")
    }

    /// A model that stitches by request id: each chunk after the first names the chunk before it by the id
    /// upstream gave it (the fake refuses ids it did not give out), and the asset records every chunk's ids.
    @Test func longTextChunksStitchToEachOtherByUpstreamIds() async throws {
        let bed = try VoiceTestbed()
        // A model VoiceVault knows no limit for takes 3,000 characters per request (the smallest documented), and
        // stitches by id as every model but eleven_v3 does: three chunks, with little audio for the fake to make.
        let sentence = "Every sentence of this chapter is spoken in the same voice, one after another. "
        let text = String(repeating: sentence, count: 95).trimmingCharacters(in: .whitespaces)
        #expect(text.count > 7_400)
        let result = try await bed.post(VoiceTestbed.requestBody(text: text, voice: "stitchVoice", extra: #""model":"eleven_turbo_v1""#))
        #expect(result.status == 200, "\(result.body)")
        #expect(try await bed.upstreamCalls(voice: "stitchVoice") == 3)
        let hash = try #require(json(result.body)["contentHash"] as? String)
        let record = json(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)").body)
        let ids = try #require(record["upstreamRequestId"] as? String).split(separator: ",").map(String.init)
        #expect(ids.count == 3)
        #expect((record["upstreamHistoryItemId"] as? String)?.split(separator: ",").count == 3)
        let sent = try await httpRequest("GET", bed.fake.baseURL + "/_fake/requests")
        let bodies = try #require(try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [[String: Any]])
        #expect(bodies.count == 3)
        #expect(bodies[0]["previous_request_ids"] == nil)
        #expect(bodies[1]["previous_request_ids"] as? [String] == [ids[0]])
        #expect(bodies[2]["previous_request_ids"] as? [String] == [ids[1]])
        #expect(bodies.allSatisfy { $0["next_request_ids"] == nil })
    }

    @Test func withoutAnElevenLabsKeyTheOfflineSynthesizerSpeaks() async throws {
        let directory = TemporaryDirectory()
        let server = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", directory.path],
            environment: ["VOICEVAULT_API_KEYS": "k"])
        defer { _ = server.terminate() }
        #expect(server.log.contains("OFFLINE espeak-ng synthesizer"))
        let text = "VoiceVault speaks offline."
        let result = try await httpRequest(
            "POST", server.baseURL + "/api/voice", headers: ["authorization": "Bearer k"],
            body: VoiceTestbed.requestBody(text: text))
        #expect(result.status == 200, "\(result.body)")
        #expect(result.header("x-cache") == "MISS")
        let answer = json(result.body)
        let hash = try #require(answer["contentHash"] as? String)
        // Its own model id: never the hash of the ElevenLabs request for the same text.
        #expect(hash == (try SpeechSpec(text: text, voiceId: "21m00Tcm4TlvDq8ikWAM", modelId: OfflineSynthesizer.modelId).contentHash.hex))
        #expect(hash != (try VoiceTestbed.hash(text: text)))
        let record = json(try await httpRequest("GET", server.baseURL + "/api/voice/\(hash)").body)
        #expect(record["model"] as? String == "offline_espeak_ng")
        let info = try MP3Inspector.inspect(try FileSystem.readFile(directory.path + "/audio/book-1/\(hash).mp3"))
        #expect(info.durationSeconds > 1 && info.durationSeconds < 10, "real speech has a plausible length: \(info.durationSeconds)")
        #expect(info.sampleRate == 44_100)
        // Offline speech is timed too: sentence by sentence, each measured from espeak-ng's own audio.
        let two = try await httpRequest(
            "POST", server.baseURL + "/api/voice", headers: ["authorization": "Bearer k"],
            body: VoiceTestbed.requestBody(text: "First sentence here. And a second, longer one follows it."))
        let twoHash = try #require(json(two.body)["contentHash"] as? String)
        let timings = json(try await httpRequest("GET", server.baseURL + "/api/voice/\(twoHash)/alignment").body)
        let sentences = try #require(timings["sentences"] as? [[String: Any]])
        #expect(sentences.map { $0["text"] as? String } == ["First sentence here.", "And a second, longer one follows it."])
        let firstEnd = try #require(sentences[0]["end"] as? Double)
        let secondStart = try #require(sentences[1]["start"] as? Double)
        let secondEnd = try #require(sentences[1]["end"] as? Double)
        #expect(firstEnd > 0.8 && secondStart >= firstEnd && secondEnd > secondStart + 1.5, "\(sentences)")
        let twoDuration = try #require(json(two.body)["durationSec"] as? Double)
        #expect(abs(secondEnd - twoDuration) < 0.1, "\(secondEnd) vs \(twoDuration)")
        let again = try await httpRequest(
            "POST", server.baseURL + "/api/voice", headers: ["authorization": "Bearer k"],
            body: VoiceTestbed.requestBody(text: text))
        #expect(again.header("x-cache") == "HIT")

        // A language espeak-ng has no voice for is the client's problem, with a stable code, not a 500.
        let unknown = try await httpRequest(
            "POST", server.baseURL + "/api/voice", headers: ["authorization": "Bearer k"],
            body: VoiceTestbed.requestBody(text: text, extra: #""languageCode":"um""#))
        #expect(unknown.status == 422)
        #expect(json(unknown.body)["error"] as? String == "unsupported_language")
        let french = try await httpRequest(
            "POST", server.baseURL + "/api/voice", headers: ["authorization": "Bearer k"],
            body: VoiceTestbed.requestBody(text: "Bonjour tout le monde.", extra: #""languageCode":"fr""#))
        #expect(french.status == 200, "\(french.body)")
    }

    @Test func sigtermFinishesTheGenerationInFlightBeforeExiting() async throws {
        let bed = try VoiceTestbed()
        try await bed.script(voice: "slowVoice", ["latency:1500"])
        async let response = bed.post(VoiceTestbed.requestBody(text: "Finish me before you stop.", voice: "slowVoice"))
        // SIGTERM only once the generation is really in flight (its upstream call has arrived): on a loaded
        // machine a fixed sleep could signal before the request even connected, and a stopping server refuses it.
        for _ in 0..<200 where try await bed.upstreamCalls(voice: "slowVoice") == 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(bed.server.process.processIdentifier, SIGTERM)
        let result = try await response
        #expect(result.status == 200)
        #expect(bed.server.terminate() == 0)
        let hash = try VoiceTestbed.hash(text: "Finish me before you stop.", voice: "slowVoice")
        #expect(FileManager.default.fileExists(atPath: bed.dataDirectory + "/audio/book-1/\(hash).mp3"))
        let fsck = try await ServerProcess.run(["fsck", "--data-dir", bed.dataDirectory])
        #expect(fsck.status == 0, "\(fsck.output)")
    }

    @Test func aPublicBaseURLMakesURLsAbsolute() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_PUBLIC_BASE_URL": "https://cdn.example.test/"])
        let answer = json(try await bed.post(VoiceTestbed.requestBody()).body)
        let hash = try VoiceTestbed.hash(text: "Hello, world. This is chapter one.")
        #expect(answer["url"] as? String == "https://cdn.example.test/audio/book-1/\(hash).mp3")
    }
}
