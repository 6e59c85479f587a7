import ArgumentParser
import Foundation
import VaultCore
import VaultServer

/// `voicevault stats`: what `/admin/stats` shows, read from the data directory, whether a server is running
/// on it or not (LMDB readers and SQLite's WAL readers do not disturb a writer; no lock is taken).
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print what the cache holds, saves and costs, from the data directory (server running or not).",
        discussion:
            "Prices come from VOICEVAULT_PRICE_PER_1000_CHARACTERS and the budget from VOICEVAULT_DAILY_CHARACTER_BUDGET, as for serve.")

    @OptionGroup var data: DataDirectoryOption

    @Flag(help: "Print the same JSON as GET /admin/stats.")
    var json = false

    func run() async throws {
        let configuration: ServerConfiguration
        do {
            configuration = try ConfigurationResolution.resolve(
                flags: .init(dataDirectory: data.dataDirectory), environment: ProcessInfo.processInfo.environment, descriptorLimit: 1024)
        } catch {
            throw ValidationError(error.message)
        }
        let directory = DataDirectory(root: configuration.dataDirectory)
        guard FileManager.default.fileExists(atPath: directory.index + "/data.mdb") else {
            FileHandle.standardError.write(Data("voicevault stats: no index in \(directory.root) (has a server ever run there?)\n".utf8))
            throw ExitCode(66)  // EX_NOINPUT
        }
        // Read-only: beside a running server this must never write (or migrate) its index.
        let index = try AssetIndex(environment: try LMDBEnvironment(directory: directory.index, options: .init(readOnly: true)))
        let store = AssetStore(directory: directory, index: index)
        let budget = CharacterBudget(dailyLimit: configuration.dailyCharacterBudget, index: store.index)
        let facts = try await AdminStats.storeFacts(store, budget: budget)
        var report = LedgerReport()
        if FileManager.default.fileExists(atPath: directory.ledgerFile) {
            let ledger = try UsageLedger(path: directory.ledgerFile, readOnly: true)
            report = try await LedgerReport.read(EmbeddedUsageHistory(ledger: ledger), now: Date().timeIntervalSince1970)
        }
        let inputs = AdminStats.Inputs(
            totals: facts.totals, spentToday: facts.spent, dailyLimit: budget.dailyLimit, report: report, flights: [],
            pricePerThousandCharacters: configuration.pricePerThousandCharacters, countingSince: nil)
        if json {
            print(AdminStats.json(inputs))
        } else {
            print(AdminStats.text(inputs))
        }
    }
}
