/// The SQLite ledger in the data directory, its blocking calls off the cooperative pool.
public struct EmbeddedUsageHistory: UsageHistory {
    public let ledger: UsageLedger

    public init(ledger: UsageLedger) { self.ledger = ledger }

    public func write(_ batch: LedgerBatch) async throws {
        let ledger = ledger
        try await BlockingIO.run { try ledger.write(batch) }
    }

    public func answer(_ question: LedgerQuestion) async throws -> [[SQLiteDatabase.Value]] {
        let ledger = ledger
        return try await BlockingIO.run {
            let (sql, values) = question.sqlite
            return try ledger.query(sql, values)
        }
    }
}
