import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VaultTestSupport
import VaultCore
@testable import VaultServer

@Suite struct CrossOriginPolicyTests {
    @Test func settingsParse() {
        #expect(CrossOriginPolicy(setting: nil).origins == .any)
        #expect(CrossOriginPolicy(setting: " * ").origins == .any)
        #expect(CrossOriginPolicy(setting: "NONE").origins == .none)
        #expect(
            CrossOriginPolicy(setting: "https://a.example, https://b.example ,").origins
                == .list(["https://a.example", "https://b.example"]))
    }

    @Test func actualResponsesCarryTheOriginAndExposeRangeAndValidatorHeaders() {
        let any = CrossOriginPolicy(origins: .any).responseHeaders(origin: "https://app.example")
        #expect(any[.accessControlAllowOrigin] == "*" && any[.vary] == nil)
        #expect(any[.accessControlExposeHeaders]?.contains("Content-Range") == true)
        #expect(any[.accessControlExposeHeaders]?.contains("ETag") == true)
        let list = CrossOriginPolicy(origins: .list(["https://app.example"]))
        #expect(list.responseHeaders(origin: "https://app.example")[.accessControlAllowOrigin] == "https://app.example")
        #expect(list.responseHeaders(origin: "https://app.example")[.vary] == "Origin")
        #expect(list.responseHeaders(origin: "https://evil.example").isEmpty)
        #expect(CrossOriginPolicy(origins: .none).responseHeaders(origin: "https://app.example").isEmpty)
    }

    @Test func preflights() {
        let policy = CrossOriginPolicy(origins: .any)
        let ok = policy.preflight(
            origin: "https://app.example", requestedMethod: "POST", requestedHeaders: "authorization, apikey, x-client-info, x-upsert")
        #expect(ok.status == .noContent)
        #expect(ok.headers[.accessControlAllowOrigin] == "*")
        #expect(ok.headers[.accessControlAllowHeaders] == "authorization, apikey, x-client-info, x-upsert")
        #expect(ok.headers[.accessControlAllowMethods] == "GET, HEAD, POST, PUT, PATCH, DELETE")
        #expect(ok.headers[.accessControlMaxAge] == "86400")
        #expect(policy.preflight(origin: "https://app.example", requestedMethod: "TRACE", requestedHeaders: nil).status == .forbidden)
        #expect(policy.preflight(origin: "https://app.example", requestedMethod: "PATCH", requestedHeaders: nil).status == .noContent)
        let list = CrossOriginPolicy(origins: .list(["https://app.example"]))
        #expect(list.preflight(origin: "https://evil.example", requestedMethod: "GET", requestedHeaders: nil).status == .forbidden)
        #expect(CrossOriginPolicy.isPreflight(method: .options, headers: [.origin: "x", .accessControlRequestMethod: "GET"]))
        #expect(!CrossOriginPolicy.isPreflight(method: .options, headers: [.origin: "x"]))
    }
}

/// The middleware in the real router: preflights answered before any route, headers on answers and errors.
@Suite struct CrossOriginRouterTests {
    @Test func browsersCanCallTheAPIFromAnotherOrigin() async throws {
        let dir = TemporaryDirectory()
        let store = try AssetStore.open(directory: DataDirectory(root: dir.path))
        let voice = VoiceService(store: store, synthesizer: nil, dailyCharacterBudget: nil)
        let app = Application(
            router: VaultApplication.makeRouter(voice: voice, configuration: ServerConfiguration(apiKeys: ["k"])),
            logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let preflight: HTTPFields = [
                .origin: "https://reader.example", .accessControlRequestMethod: "POST",
                .accessControlRequestHeaders: "authorization, apikey, x-client-info, content-type",
            ]
            try await client.execute(uri: "/api/voice", method: .options, headers: preflight) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                #expect(response.headers[.accessControlAllowHeaders] == "authorization, apikey, x-client-info, content-type")
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [.origin: "https://reader.example"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
            }
            // Errors carry the headers too, or the browser hides the error body from the app.
            try await client.execute(uri: "/api/voice", method: .post, headers: [.origin: "https://reader.example"]) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                #expect(String(buffer: response.body).contains(#""error":"unauthorized""#))
            }
            // Without Origin nothing changes.
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }
}
