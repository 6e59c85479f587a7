import Foundation

/// Tokens for signed download URLs, in the shape Supabase issues them: an HS256 JWT whose `url` claim is
/// `<bucket>/<key>` and whose `exp` is the expiry in Unix seconds, signed with the server's secret.
///
/// Verification recomputes the MAC over the exact received header and payload and compares in constant time
/// before reading any claim, so a tampered token is refused without its contents being trusted.
public struct SignedURLToken: Sendable {
    public enum Verdict: Equatable, Sendable {
        case valid
        /// Malformed, forged, or for another object.
        case invalid(String)
        case expired
    }

    let secret: [UInt8]

    public init(secret: [UInt8]) {
        self.secret = secret
    }

    static let header = base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    public func issue(bucket: String, key: String, expiresAt: Int64, issuedAt: Int64) -> String {
        let claims: [String: Any] = ["url": bucket + "/" + key, "exp": expiresAt, "iat": issuedAt]
        let payload = (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let signingInput = Self.header + "." + Self.base64URL(Array(payload))
        return signingInput + "." + Self.base64URL(HMACSHA256.authenticate(Array(signingInput.utf8), key: secret))
    }

    public func verify(_ token: String, bucket: String, key: String, now: Int64) -> Verdict {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Self.decodeBase64URL(parts[2]) else { return .invalid("malformed token") }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMACSHA256.isValid(signature, for: signingInput, key: secret) else { return .invalid("invalid signature") }
        guard let payload = Self.decodeBase64URL(parts[1]),
              let claims = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any],
              let url = claims["url"] as? String, let expiry = (claims["exp"] as? NSNumber)?.int64Value
        else { return .invalid("malformed claims") }
        guard url == bucket + "/" + key else { return .invalid("token is for another object") }
        guard now < expiry else { return .expired }
        return .valid
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
