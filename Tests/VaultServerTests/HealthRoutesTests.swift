import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VaultCore
import VaultServer

@Suite struct HealthRoutesTests {
    @Test func healthzCountsAssetsAndUnknownRoutesAreJSON() async throws {
        let dir = TemporaryDirectory()
        let store = try AssetStore.open(directory: DataDirectory(root: dir.path))
        _ = try store.publish(SilentMP3.make(frames: 3), hash: .of("x"), bookId: try StorageIdentifier("b", kind: .bookId),
                              metadata: AssetMetadata(voiceId: "v", modelId: "m", outputFormat: "mp3_44100_128",
                                                      wordCount: 1, characterCount: 1))
        let voice = VoiceService(store: store, synthesizer: nil, dailyCharacterBudget: nil)
        let app = Application(router: VaultApplication.makeRouter(voice: voice, configuration: ServerConfiguration()),
                              logger: Logger(label: "test"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok","assets":1}"#)
            }
            try await client.execute(uri: "/healthz", method: .post) { response in
                #expect(response.status == .methodNotAllowed || response.status == .notFound)
                #expect(String(buffer: response.body).contains(#""error":"#))
            }
        }
    }
}
