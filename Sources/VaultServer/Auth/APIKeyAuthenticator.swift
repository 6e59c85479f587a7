import Foundation
import VaultCore

/// Decides whether a request carries a valid client key, as the clients we mirror send them:
/// `Authorization: Bearer <key>` (Supabase, most HTTP clients), `apikey: <key>` (Supabase) or
/// `xi-api-key: <key>` (ElevenLabs SDKs pointed at VoiceVault).
///
/// Every configured key is compared in constant time, so response timing says nothing about how close a guess
/// was. With no keys configured nobody is authorised: an unconfigured server never generates for strangers.
public struct APIKeyAuthenticator: Sendable, Equatable {
    let keys: [[UInt8]]

    public init(keys: Set<String>) {
        self.keys = keys.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    public var hasKeys: Bool { !keys.isEmpty }

    /// The key presented, from the first of the three headers that carries one.
    public static func presentedKey(authorization: String?, apikey: String?, xiAPIKey: String?) -> String? {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        if let apikey, !apikey.isEmpty { return apikey }
        if let xiAPIKey, !xiAPIKey.isEmpty { return xiAPIKey }
        return nil
    }

    public func isAuthorized(_ presented: String?) -> Bool {
        guard let presented else { return false }
        let candidate = Array(presented.utf8)
        var matched = false
        for key in keys where HMACSHA256.constantTimeEquals(key, candidate) { matched = true }
        return matched
    }
}
