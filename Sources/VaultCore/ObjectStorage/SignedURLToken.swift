import Foundation

/// Tokens for signed URLs, in the shape Supabase issues them: an HS256 JWT whose `url` claim is
/// `<bucket>/<key>` and whose `exp` is the expiry in Unix seconds, signed with the server's secret.
///
/// A token has one scope. Download tokens carry no `scope` claim (so tokens issued before scopes existed stay
/// valid for what they always allowed); upload tokens carry `"scope": "upload"` and their `upsert` choice. A
/// download token cannot upload and an upload token cannot download: handing out a link to hear a chapter
/// never hands out the right to replace it.
///
/// Verification recomputes the MAC over the exact received header and payload and compares in constant time
/// before reading any claim, so a tampered token is refused without its contents being trusted.
public struct SignedURLToken: Sendable {
    public enum Scope: String, Sendable {
        case download, upload
    }

    /// What a valid token allows.
    public struct Grant: Equatable, Sendable {
        public let scope: Scope
        /// For an upload: whether it may replace an existing object (fixed when the token was issued).
        public let upsert: Bool
        /// Unix seconds; a signed download answers with it as `Expires`.
        public let expiresAt: Int64

        public init(scope: Scope, upsert: Bool = false, expiresAt: Int64 = 0) {
            self.scope = scope
            self.upsert = upsert
            self.expiresAt = expiresAt
        }

        /// A download grant, as `issue` takes it (its expiry is the argument there).
        public static let download = Grant(scope: .download)
    }

    public enum Verdict: Equatable, Sendable {
        case valid(Grant)
        /// Malformed, forged, or for another object.
        case invalid(String)
        case expired
    }

    let secret: [UInt8]

    public init(secret: [UInt8]) {
        self.secret = secret
    }

    static let header = base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    public func issue(bucket: String, key: String, expiresAt: Int64, issuedAt: Int64, grant: Grant = .download) -> String {
        var claims: [String: Any] = ["url": bucket + "/" + key, "exp": expiresAt, "iat": issuedAt]
        if grant.scope == .upload {
            claims["scope"] = Scope.upload.rawValue
            claims["upsert"] = grant.upsert
        }
        let payload = (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let signingInput = Self.header + "." + Self.base64URL(Array(payload))
        return signingInput + "." + Self.base64URL(HMACSHA256.authenticate(Array(signingInput.utf8), key: secret))
    }

    /// Whether `token` allows `scope` on `bucket/key` at `now`; with the grant it carries when it does.
    public func verify(_ token: String, bucket: String, key: String, scope: Scope = .download, now: Int64) -> Verdict {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Self.decodeBase64URL(parts[2]) else { return .invalid("malformed token") }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMACSHA256.isValid(signature, for: signingInput, key: secret) else { return .invalid("invalid signature") }
        guard let payload = Self.decodeBase64URL(parts[1]),
            let claims = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any],
            let url = claims["url"] as? String, let expiry = (claims["exp"] as? NSNumber)?.int64Value
        else { return .invalid("malformed claims") }
        guard url == bucket + "/" + key else { return .invalid("token is for another object") }
        let granted = (claims["scope"] as? String).map { Scope(rawValue: $0) } ?? .download
        guard let granted else { return .invalid("unknown token scope") }
        guard granted == scope else { return .invalid("this token is for \(granted.rawValue)s, not \(scope.rawValue)s") }
        guard now < expiry else { return .expired }
        return .valid(Grant(scope: granted, upsert: (claims["upsert"] as? Bool) ?? false, expiresAt: expiry))
    }

    /// base64url without padding (JWT segments, opaque cursors and continuation tokens).
    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decodeBase64URL(_ text: Substring) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
