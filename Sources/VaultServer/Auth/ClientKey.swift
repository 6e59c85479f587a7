public import VaultCore

/// One client key (`VOICEVAULT_API_KEYS` or the keys file): a reading app's credential, with a name for
/// people, a stable id for logs, metrics and the ledger, and limits of its own.
///
/// The secret itself never leaves this type: logs, metrics, pages and the ledger see `name` and `id` only.
public struct ClientKey: Sendable, Equatable, CustomStringConvertible {
    /// Who holds the key, as the operator named it; the id when unnamed.
    public let name: String
    /// `key_` and the first 12 hex digits of the secret's SHA-256: stable across restarts and renames, and
    /// useless for guessing the key (48 bits of a hash, never the key's own characters).
    public let id: String
    let secret: [UInt8]
    /// Characters this key may have generated per UTC day (on top of the server-wide budget); nil: no own cap.
    public let dailyCharacterLimit: Int?
    /// Requests per minute this key may make on generating routes; nil: no own cap.
    public let requestsPerMinute: Int?

    public init(secret: String, name: String? = nil, dailyCharacterLimit: Int? = nil, requestsPerMinute: Int? = nil) {
        self.secret = Array(secret.utf8)
        id = Self.id(of: secret)
        self.name = name.flatMap { $0.isEmpty ? nil : $0 } ?? id
        self.dailyCharacterLimit = dailyCharacterLimit
        self.requestsPerMinute = requestsPerMinute
    }

    public static func id(of secret: String) -> String {
        "key_" + SHA256Digest.of(secret).hex.prefix(12)
    }

    /// Never the secret, even by accident in string interpolation.
    public var description: String { "ClientKey(\(name), \(id))" }
}
