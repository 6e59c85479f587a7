import Testing
import VaultTestSupport
@testable import VaultServer

@Suite struct APIKeyAuthenticatorTests {
    let authenticator = APIKeyAuthenticator(keys: ["good-key", "second"])

    @Test(
        arguments: [
            // (Authorization, apikey, xi-api-key) -> presented keys, in header order
            (nil, nil, nil, [String]()),
            ("Bearer good-key", nil, nil, ["good-key"]),
            ("bearer   good-key  ", nil, nil, ["good-key"]),
            ("Basic Z29vZC1rZXk=", nil, nil, []),
            ("Bearer", nil, nil, []),
            ("Bearer ", "", "", []),
            ("Bearer user-session-jwt", "good-key", nil, ["user-session-jwt", "good-key"]),
            (nil, nil, "second", ["second"]),
            ("Bearer a", "b", "c", ["a", "b", "c"]),
        ] as [(String?, String?, String?, [String])])
    func presentedKeysComeFromEveryHeader(authorization: String?, apikey: String?, xi: String?, expected: [String]) {
        #expect(APIKeyAuthenticator.presentedKeys(authorization: authorization, apikey: apikey, xiAPIKey: xi) == expected)
    }

    @Test func anyValidKeyAuthorises() {
        #expect(authenticator.key(anyOf: ["good-key"]) != nil)
        #expect(authenticator.key(anyOf: ["user-session-jwt", "second"]) != nil)  // Supabase: session token + project key
        #expect(authenticator.key(anyOf: []) == nil)
        #expect(authenticator.key(anyOf: ["good-ke", "good-key ", "GOOD-KEY", ""]) == nil)
    }

    @Test func withoutConfiguredKeysNobodyIsAuthorised() {
        let empty = APIKeyAuthenticator(keys: [""])
        #expect(!empty.hasKeys)
        #expect(empty.key(anyOf: ["", "anything"]) == nil)
    }
}
