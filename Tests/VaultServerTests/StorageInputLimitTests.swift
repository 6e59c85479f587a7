import Foundation
import Testing
import VaultTestSupport
@testable import VaultServer

/// Lists a client sends to the Storage API are bounded, because every later upload is checked against them.
@Suite struct StorageInputLimitTests {
    @Test func allowedMimeTypeListsAreCapped() throws {
        #expect(try StorageRoutes.mimeTypes(Array(repeating: "audio/mpeg", count: 100))?.count == 100)
        #expect(throws: SupabaseError.self) { try StorageRoutes.mimeTypes(Array(repeating: "audio/mpeg", count: 50_000)) }
        #expect(throws: SupabaseError.self) { try StorageRoutes.mimeTypes(["audio/" + String(repeating: "x", count: 300)]) }
        #expect(throws: SupabaseError.self) { try StorageRoutes.mimeTypes(["audio/mp\u{301}eg"]) }
        #expect(try StorageRoutes.mimeTypes(["audio/*", "image/png"]) == ["audio/*", "image/png"])
    }
}
