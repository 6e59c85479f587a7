/// Where the usage ledger's rows live (Docs/OPERATIONS.md, "The usage ledger"): the data directory's SQLite
/// file on one machine (`EmbeddedUsageHistory`), the catalog's tables on a cluster (`PostgresUsageLedger`), so
/// a cluster's stats and pre-generation order are the whole cluster's, whichever node answers.
///
/// Accounting, not truth: the spend counters decide the budget and the catalog decides what exists, so a
/// history that cannot be written costs rows (counted by `LedgerWriter`), never a request.
public protocol UsageHistory: Sendable {
    /// Writes a batch in one transaction: all of it or none.
    func write(_ batch: LedgerBatch) async throws
    /// The rows answering `question`, their columns as the question names them.
    func answer(_ question: LedgerQuestion) async throws -> [[SQLiteDatabase.Value]]

    // Moving a history between one machine and a cluster (`voicevault migrate`).

    /// This history's identity, made once when it was created: what `carry` records as its source.
    func identity() async throws -> String
    /// Every row of `table`, its columns as `LedgerTable.columns` names them, in `LedgerTable.order`.
    func rows(of table: LedgerTable) async throws -> [[SQLiteDatabase.Value]]
    /// Adds another history's rows (all of them, as `rows(of:)` read them) in one transaction, unless rows from
    /// `source` were carried here before: so a migration run again adds nothing twice. True when carried now.
    func carry(_ rows: [LedgerTable: [[SQLiteDatabase.Value]]], from source: String, at time: Double) async throws -> Bool
}
