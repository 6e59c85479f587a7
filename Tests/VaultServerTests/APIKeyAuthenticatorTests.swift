import Testing
import VaultTestSupport
@testable import VaultServer

@Suite struct APIKeyAuthenticatorTests {
    let authenticator = APIKeyAuthenticator(keys: ["good-key", "second"])

    @Test(arguments: [
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
        #expect(authenticator.isAuthorized(anyOf: ["good-key"]))
        #expect(authenticator.isAuthorized(anyOf: ["user-session-jwt", "second"]))  // Supabase: session token + project key
        #expect(!authenticator.isAuthorized(anyOf: []))
        #expect(!authenticator.isAuthorized(anyOf: ["good-ke", "good-key ", "GOOD-KEY", ""]))
    }

    @Test func withoutConfiguredKeysNobodyIsAuthorised() {
        let empty = APIKeyAuthenticator(keys: ["", ])
        #expect(!empty.hasKeys)
        #expect(!empty.isAuthorized(anyOf: ["", "anything"]))
    }
}
