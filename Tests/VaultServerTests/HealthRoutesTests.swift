import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VaultTestSupport
import VaultCore
import VaultServer

@Suite struct HealthRoutesTests {
    @Test func healthzCountsAssetsAndUnknownRoutesAreJSON() async throws {
        let dir = TemporaryDirectory()
        let store = try AssetStore.open(directory: DataDirectory(root: dir.path))
        _ = try store.publish(
            SilentMP3.make(frames: 3), hash: .of("x"), bookId: try StorageIdentifier("b", kind: .bookId),
            metadata: AssetMetadata(
                voiceId: "v", modelId: "m", outputFormat: "mp3_44100_128",
                wordCount: 1, characterCount: 1))
        let voice = VoiceService(store: store, synthesizer: nil, dailyCharacterBudget: nil)
        let app = Application(
            router: VaultApplication.makeRouter(voice: voice, configuration: ServerConfiguration()),
            logger: Logger(label: "test"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok","assets":1}"#)
            }
            // A known path asked with another method: 405 with Allow (RFC 9110), in the JSON error shape.
            for (uri, method, allow) in [
                ("/healthz", HTTPRequest.Method.post, "GET, HEAD"), ("/healthz", .delete, "GET, HEAD"),
                ("/api/voice", .put, "GET, HEAD, POST"), ("/api/voice/abc", .post, "GET, HEAD"),
                ("/audio/book/x.mp3", .delete, "GET, HEAD"),
            ] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                    #expect(String(buffer: response.body).contains(#""error":"method_not_allowed""#))
                }
            }
            // An unknown path stays 404, whatever the method.
            for method in [HTTPRequest.Method.get, .post] {
                try await client.execute(uri: "/nothing/here", method: method) { response in
                    #expect(response.status == .notFound)
                    #expect(String(buffer: response.body).contains(#""error":"not_found""#))
                }
            }
            try await client.execute(uri: "/audio/book", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
