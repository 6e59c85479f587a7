import Foundation
public import VaultCore

/// Decides which client key a request carries, as the clients we mirror send them:
/// `Authorization: Bearer <key>` (Supabase, most HTTP clients), `apikey: <key>` (Supabase) or
/// `xi-api-key: <key>` (ElevenLabs SDKs pointed at VoiceVault).
///
/// Every configured key is compared in constant time, so response timing says nothing about how close a guess
/// was. With no keys configured nobody is authorised: an unconfigured server never generates for strangers.
public struct APIKeyAuthenticator: Sendable, Equatable {
    let keys: [ClientKey]

    public init(keys: [ClientKey]) {
        self.keys = keys.filter { !$0.secret.isEmpty }
    }

    /// Plain keys, each unnamed and without limits of its own.
    public init(keys: Set<String>) {
        self.init(keys: keys.sorted().map { ClientKey(secret: $0) })
    }

    public var hasKeys: Bool { !keys.isEmpty }

    /// Every key the request presents, in header order (Bearer token, `apikey`, `xi-api-key`).
    ///
    /// A request is authorised when any of them is valid: Supabase clients send `apikey` (the project key)
    /// and `Authorization` (often a user's session token) together, so a foreign token in one header must not
    /// hide a valid key in the other.
    public static func presentedKeys(authorization: String?, apikey: String?, xiAPIKey: String?) -> [String] {
        var keys: [String] = []
        if let authorization, let token = bearerToken(authorization) { keys.append(token) }
        if let apikey, !apikey.isEmpty { keys.append(apikey) }
        if let xiAPIKey, !xiAPIKey.isEmpty { keys.append(xiAPIKey) }
        return keys
    }

    /// The first configured key among those presented. Every pair is compared, each in constant time, so the
    /// time taken depends on the number of keys, not on which one matched or how closely a guess came.
    public func key(anyOf presented: [String]) -> ClientKey? {
        var matched: ClientKey?
        for candidate in presented.map({ Array($0.utf8) }) {
            for key in keys where HMACSHA256.constantTimeEquals(key.secret, candidate) {
                if matched == nil { matched = key }
            }
        }
        return matched
    }

    /// Whether `secret` is one of the client keys (configuration checks: the admin token must not be one).
    public func contains(secret: String) -> Bool { key(anyOf: [secret]) != nil }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1), read as bytes: a credential
    /// is ASCII, and a header of combining marks must cost no more than its length (`FieldBytes`).
    static func bearerToken(_ authorization: String) -> String? {
        let value = FieldBytes.trimmed(authorization.utf8)
        guard FieldBytes.hasPrefixIgnoringCase(value, "bearer"),
            let separator = value.dropFirst(6).first, FieldBytes.isOptionalWhitespace(separator)
        else { return nil }
        let token = FieldBytes.trimmed(value.dropFirst(7))
        return token.isEmpty ? nil : String(decoding: token, as: UTF8.self)
    }
}
