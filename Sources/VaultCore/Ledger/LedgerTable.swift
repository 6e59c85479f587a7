/// The usage ledger's four tables as `voicevault migrate` carries them between histories: the same columns in
/// SQLite (`generations`, ...) and in a cluster's catalog (`ledger_generations`, ...), so a row read from one
/// is written to the other as it is (its `id` aside: the destination numbers its rows in the order carried).
public enum LedgerTable: String, CaseIterable, Sendable {
    case generations
    case failures
    case hits
    case adminActions = "admin_actions"

    /// The table's name in SQLite; a cluster's catalog prefixes it with `ledger_`.
    public var name: String { rawValue }

    /// Every column but `id`, in the order rows are read and written.
    public var columns: [String] {
        switch self {
        case .generations:
            [
                "at", "content_hash", "book_id", "chapter_id", "voice_id", "model_id", "characters", "character_cost",
                "upstream_request_id", "upstream_ms", "write_ms", "index_ms", "attempts", "client_key_id", "client_name",
            ]
        case .failures: ["at", "book_id", "error_code", "client_key_id", "client_name"]
        case .hits:
            ["day", "content_hash", "book_id", "client_key_id", "client_name", "voice_id", "hits", "joined", "characters_saved"]
        case .adminActions:
            ["at", "action", "content_hash", "book_id", "books", "links", "assets_removed", "bytes_freed", "detail"]
        }
    }

    /// The order rows are read in: insertion order, or for hits their key.
    public var order: String {
        self == .hits ? "day, content_hash, book_id, client_key_id" : "id"
    }

    /// How a written row meets one already there under the same key, for the table named `table`: hits add
    /// up (one day's counts for an asset, book and key), the other tables only append.
    public func conflict(table: String) -> String {
        guard self == .hits else { return "" }
        return """
            ON CONFLICT (day, content_hash, book_id, client_key_id) DO UPDATE SET
            hits = \(table).hits + excluded.hits, joined = \(table).joined + excluded.joined,
            characters_saved = \(table).characters_saved + excluded.characters_saved
            """
    }
}
