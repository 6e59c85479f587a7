public import VaultCore

/// A change to the catalog that every node applies to its local copies: announced by the transaction that
/// made it (`PostgresAssetCatalog`), read by every node's `CatalogFollower`. The payload is text, as
/// PostgreSQL's notifications are: `removed <hash>` or `unlinked <hash> <bookId>`.
public enum CatalogChange: Sendable, Equatable {
    case removed(SHA256Digest)
    case unlinked(SHA256Digest, book: String)

    public var payload: String {
        switch self {
        case let .removed(hash): "removed \(hash.hex)"
        case let .unlinked(hash, book): "unlinked \(hash.hex) \(book)"
        }
    }

    /// Nil for a payload this build does not know (a newer node's): ignored, never guessed at.
    public init?(payload: String) {
        let parts = payload.split(separator: " ", omittingEmptySubsequences: false)
        switch (parts.first, parts.count) {
        case ("removed", 2):
            guard let hash = SHA256Digest(hex: parts[1]) else { return nil }
            self = .removed(hash)
        case ("unlinked", 3):
            guard let hash = SHA256Digest(hex: parts[1]), !parts[2].isEmpty else { return nil }
            self = .unlinked(hash, book: String(parts[2]))
        default:
            return nil
        }
    }
}
