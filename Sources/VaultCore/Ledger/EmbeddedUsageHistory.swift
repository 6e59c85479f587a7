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

    public func identity() async throws -> String {
        let ledger = ledger
        return try await BlockingIO.run { try ledger.identity() }
    }

    public func rows(of table: LedgerTable) async throws -> [[SQLiteDatabase.Value]] {
        let ledger = ledger
        return try await BlockingIO.run {
            try ledger.query("SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) ORDER BY \(table.order)")
        }
    }

    public func carry(_ rows: [LedgerTable: [[SQLiteDatabase.Value]]], from source: String, at time: Double) async throws -> Bool {
        let ledger = ledger
        return try await BlockingIO.run { try ledger.carry(rows, from: source, at: time) }
    }
}
