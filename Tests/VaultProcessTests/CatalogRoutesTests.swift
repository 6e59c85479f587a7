import Foundation
import Testing
import VaultTestSupport

/// `GET /v1/models` and `/v1/voices` pass through to ElevenLabs; an upstream failure there is about the
/// listing, never about a voice.
@Suite struct CatalogRoutesTests {
    @Test func aListingUpstreamDoesNotHaveIsNotAMissingVoice() async throws {
        let fake = try ServerProcess(executable: "fake-elevenlabs", arguments: ["--port", "0"])
        defer { _ = fake.terminate() }
        let directory = TemporaryDirectory("vv-catalog")
        // Every path under this prefix is a 404 on the fake.
        let server = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", directory.sub("data")],
            environment: [
                "ELEVENLABS_API_KEY": "fake-key", "ELEVENLABS_BASE_URL": fake.baseURL + "/gone", "VOICEVAULT_API_KEYS": "k",
            ])
        defer { _ = server.terminate() }
        let models = try await httpRequest("GET", server.baseURL + "/v1/models", headers: ["xi-api-key": "k"])
        #expect(models.status == 502, "\(models.body)")
        #expect(models.body.contains("upstream_not_found"), "\(models.body)")
        #expect(!models.body.contains("voice_not_found"), "\(models.body)")
    }
}
