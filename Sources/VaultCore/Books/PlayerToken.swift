import Foundation

/// The token of a player link (`POST /api/books/{bookId}/player-link`): lets a browser read one book's manifest
/// and read and save one listener's position in it, for the client key that issued it, until it expires, and
/// nothing else. Client keys never reach a browser; this does.
///
/// An HS256 JWT, as Storage's signed URLs are, but signed with a key of its own derived from the server's
/// secret (`HMAC(secret, "voicevault player links v1")`), so no Storage token is a player token or the other way
/// round. Verification checks the MAC over the exact received bytes in constant time before reading a claim.
public struct PlayerToken: Sendable {
    /// What a valid token allows.
    public struct Grant: Sendable, Equatable {
        public let bookId: String
        public let listener: String
        public let keyId: String
        public let expiresAt: Int64

        public init(bookId: String, listener: String, keyId: String, expiresAt: Int64) {
            self.bookId = bookId
            self.listener = listener
            self.keyId = keyId
            self.expiresAt = expiresAt
        }
    }

    public enum Verdict: Sendable, Equatable {
        case valid(Grant)
        case invalid(String)
        case expired
    }

    /// How long a link may live: a minute to thirty days (a week when not said).
    public static let lifetimes: ClosedRange<Int64> = 60...(30 * 86_400)
    public static let defaultLifetime: Int64 = 7 * 86_400

    let key: [UInt8]

    public init(secret: [UInt8]) {
        key = HMACSHA256.authenticate(Array("voicevault player links v1".utf8), key: secret)
    }

    static let header = SignedURLToken.base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    public func issue(_ grant: Grant, issuedAt: Int64) -> String {
        let claims: [String: Any] = [
            "book": grant.bookId, "listener": grant.listener, "key": grant.keyId, "exp": grant.expiresAt, "iat": issuedAt,
            "scope": "player",
        ]
        let payload = (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let signingInput = Self.header + "." + SignedURLToken.base64URL(Array(payload))
        return signingInput + "." + SignedURLToken.base64URL(HMACSHA256.authenticate(Array(signingInput.utf8), key: key))
    }

    /// Whether `token` is a player token for `bookId` valid at `now`; its grant when it is. Tokens longer
    /// than 4 KiB are refused unread.
    public func verify(_ token: String, bookId: String, now: Int64) -> Verdict {
        guard token.utf8.count <= 4096 else { return .invalid("token too long") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = SignedURLToken.decodeBase64URL(parts[2]) else { return .invalid("malformed token") }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMACSHA256.isValid(signature, for: signingInput, key: key) else { return .invalid("invalid signature") }
        guard let payload = SignedURLToken.decodeBase64URL(parts[1]),
            let claims = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any],
            claims["scope"] as? String == "player", let book = claims["book"] as? String, let listener = claims["listener"] as? String,
            let keyId = claims["key"] as? String, let expiry = (claims["exp"] as? NSNumber)?.int64Value
        else { return .invalid("malformed claims") }
        guard book == bookId else { return .invalid("token is for another book") }
        guard now < expiry else { return .expired }
        return .valid(Grant(bookId: book, listener: listener, keyId: keyId, expiresAt: expiry))
    }
}
