public import VaultCore

/// `VOICEVAULT_ADMIN_TOKEN`: what every `/admin` route and `/metrics` take, as `Authorization: Bearer`.
///
/// Only the Bearer header is read: the operator's token is never accepted from `apikey` or `xi-api-key`,
/// where client keys travel, so a tool configured with one kind of credential cannot use the other by accident.
public struct AdminToken: Sendable, Equatable {
    let secret: [UInt8]

    /// Nil for an empty or absent setting: the admin surface is then closed.
    public init?(_ value: String?) {
        guard let value, !value.isEmpty else { return nil }
        secret = Array(value.utf8)
    }

    /// Whether `authorization` is `Bearer <this token>`, compared in constant time.
    public func isPresented(in authorization: String?) -> Bool {
        guard let presented = authorization.flatMap(APIKeyAuthenticator.bearerToken) else { return false }
        return HMACSHA256.constantTimeEquals(Array(presented.utf8), secret)
    }
}
