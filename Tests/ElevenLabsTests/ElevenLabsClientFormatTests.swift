import Testing
@testable import ElevenLabs
import VaultCore
import VaultTestSupport

/// The client asks upstream for every output format on the route that offers it (WAV whole, the rest streamed)
/// and hands the bytes on as they come; here against the fake upstream on a real socket.
@Suite struct ElevenLabsClientFormatTests {
    @Test func everyFormatComesBackWholeFromTheRouteThatOffersIt() async throws {
        let fake = try ServerProcess(executable: "fake-elevenlabs", arguments: ["--port", "0"])
        defer { _ = fake.terminate() }
        let client = ElevenLabsClient(configuration: ElevenLabsConfiguration(baseURL: fake.baseURL, apiKey: "fake-key"))
        for value in ["pcm_16000", "ulaw_8000", "alaw_8000", "wav_24000", "opus_48000_64", "mp3_22050_32"] {
            let format = try #require(AudioFormat(outputFormat: value))
            let spec = try SpeechSpec(text: "Thirty characters of speech...", voiceId: "21m00Tcm4TlvDq8ikWAM", outputFormat: value)
            #expect(ElevenLabsClient.endpoint(spec).contains("/stream/") == format.isStreamedUpstream, "\(value)")
            let collected = PieceCollector()
            let receipt = try await client.stream(spec, restart: { true }) { piece in collected.add(piece) }
            #expect(receipt.requestId != nil)
            let duration = try AudioInspection.durationSeconds(collected.audio, format: format)
            #expect(abs(duration - 2) < 0.03, "\(value): \(duration)")
            #expect(collected.alignment?.text == "Thirty characters of speech...", "\(value)")
        }
    }
}
