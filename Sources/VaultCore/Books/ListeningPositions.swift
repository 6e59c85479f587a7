/// What saving a position did.
public enum PositionSave: Sendable, Equatable {
    case saved(ListeningPosition)
    /// The stored position is later by the client's clock: kept, and answered.
    case kept(ListeningPosition)
    /// The key holds as many listeners' positions as it may, and this would add one.
    case limitReached(Int)
}

/// Where listening positions live: the usage ledger's SQLite file on one machine (`EmbeddedListeningPositions`),
/// the catalog on a cluster (`PostgresListeningPositions`). Saving is one atomic step against every other
/// writer on any node: the later `at` wins, and a key never holds more than its limit.
public protocol ListeningPositions: Sendable {
    func save(_ position: ListeningPosition, keyId: String, limitPerKey: Int) async throws -> PositionSave
    func position(keyId: String, listener: String, bookId: String) async throws -> ListeningPosition?
}
