import Foundation
public import VaultCore

/// The usage ledger in and out of a cluster: every row of the source's history added to the destination's in
/// one transaction, recorded there under the source's identity, so a run again adds nothing twice and an
/// asset's `hits`, the stats and the jobs' voice order answer as before. The history is read whole first (its
/// hits are one row per day, asset, book and key, so it is small beside the audio).
extension ClusterMigration {
    public func ledgerIntoCluster(_ summary: inout Summary) async throws {
        let file = local.directory.ledgerFile
        guard FileManager.default.fileExists(atPath: file) else { return }
        let embedded = EmbeddedUsageHistory(ledger: try await BlockingIO.run { try UsageLedger(path: file) })
        try await carryLedger(from: embedded, to: PostgresUsageLedger(client: catalog.client, logger: catalog.logger), &summary)
    }

    public func ledgerOutOfCluster(_ summary: inout Summary) async throws {
        let file = local.directory.ledgerFile
        let embedded = EmbeddedUsageHistory(ledger: try await BlockingIO.run { try UsageLedger(path: file) })
        try await carryLedger(from: PostgresUsageLedger(client: catalog.client, logger: catalog.logger), to: embedded, &summary)
    }

    private func carryLedger(from source: any UsageHistory, to destination: any UsageHistory, _ summary: inout Summary)
        async throws
    {
        var rows: [LedgerTable: [[SQLiteDatabase.Value]]] = [:]
        for table in LedgerTable.allCases { rows[table] = try await source.rows(of: table) }
        summary.ledgerRows = rows.values.reduce(0) { $0 + $1.count }
        let carried = try await destination.carry(rows, from: try await source.identity(), at: Date().timeIntervalSince1970)
        summary.ledgerAlreadyCarried = !carried
    }
}
