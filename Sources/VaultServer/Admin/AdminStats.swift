public import Foundation
public import VaultCore

/// Assembles `/admin/stats` (and `voicevault stats`, which prints the same) from the index's totals, today's
/// budget, the ledger's history and the flights in progress, so the server and the command agree.
public enum AdminStats {
    public struct Inputs: Sendable {
        public var totals: (assets: Int, bytes: Int, books: Int)
        public var spentToday: Int
        public var dailyLimit: Int?
        public var report: LedgerReport
        public var flights: [VoiceService.Flight]
        public var pricePerThousandCharacters: Double?
        /// Nil when the counts are the ledger's whole history; the server's start when they are only in memory.
        public var countingSince: Date?
        public var now: Date
        /// On a cluster node, what the whole cluster holds (the totals above are then the node's own cache).
        public var cluster: ClusterTotals? = nil

        public init(
            totals: (assets: Int, bytes: Int, books: Int), spentToday: Int, dailyLimit: Int?, report: LedgerReport,
            flights: [VoiceService.Flight], pricePerThousandCharacters: Double?, countingSince: Date?, now: Date = Date()
        ) {
            self.totals = totals
            self.spentToday = spentToday
            self.dailyLimit = dailyLimit
            self.report = report
            self.flights = flights
            self.pricePerThousandCharacters = pricePerThousandCharacters
            self.countingSince = countingSince
            self.now = now
        }
    }

    /// Reads the index totals (off the cooperative pool) and today's spend.
    public static func storeFacts(_ store: AssetStore, budget: CharacterBudget) async throws -> (
        totals: (assets: Int, bytes: Int, books: Int), spent: Int
    ) {
        let index = store.index
        return (try await BlockingIO.run { try index.totals() }, try await budget.spent())
    }

    static func make(_ inputs: Inputs) -> AdminJSON.Stats {
        let report = inputs.report
        let price = inputs.pricePerThousandCharacters
        func cost(_ characters: Int) -> Double? { price.map { (Double(characters) / 1000 * $0 * 10_000).rounded() / 10_000 } }
        let asked = report.hits + report.misses
        let latencies = report.upstreamSecondsLastHour
        return AdminJSON.Stats(
            assets: inputs.totals.assets, bytes: inputs.totals.bytes, books: inputs.totals.books, hits: report.hits,
            misses: report.misses, hitRate: asked == 0 ? nil : Double(report.hits) / Double(asked), generations: report.generations,
            failures: report.failures, charactersGenerated: report.charactersGenerated, charactersSaved: report.charactersSaved,
            pricePer1000Characters: price, costGenerated: cost(report.charactersGenerated), costSaved: cost(report.charactersSaved),
            cluster: inputs.cluster.map { .init(assets: $0.assets, bytes: $0.bytes, books: $0.books) },
            topVoices: report.topVoices, topBooks: report.topBooks,
            byClient: report.byClient, days: report.days,
            recentGenerations: report.recentGenerations.map {
                .init(
                    at: ISO8601Timestamp.format(secondsSince1970: $0.at), contentHash: $0.contentHash, bookId: $0.bookId,
                    voiceId: $0.voiceId, characters: $0.characters, upstreamSeconds: VoiceResponseBody.rounded($0.upstreamSeconds))
            },
            inFlight: inputs.flights.map {
                .init(contentHash: $0.hash.hex, waiters: $0.waiters, ageSeconds: VoiceResponseBody.rounded($0.ageSeconds))
            },
            upstreamLatencyLastHour: latencies.isEmpty
                ? nil
                : .init(
                    generations: latencies.count, p50Seconds: LedgerReport.percentile(0.5, of: latencies) ?? 0,
                    p95Seconds: LedgerReport.percentile(0.95, of: latencies) ?? 0,
                    p99Seconds: LedgerReport.percentile(0.99, of: latencies) ?? 0),
            budget: .init(day: CharacterBudget.day(of: inputs.now), charactersSpent: inputs.spentToday, dailyLimit: inputs.dailyLimit),
            countingSince: inputs.countingSince.map { ISO8601Timestamp.format(secondsSince1970: $0.timeIntervalSince1970) })
    }

    /// The stats as JSON text (what `voicevault stats --json` prints).
    public static func json(_ inputs: Inputs) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(make(inputs))) ?? Data(), as: UTF8.self)
    }
}

extension AdminStats {
    /// The stats for people, as `voicevault stats` prints them.
    public static func text(_ inputs: Inputs) -> String {
        let stats = make(inputs)
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
        func money(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "(set VOICEVAULT_PRICE_PER_1000_CHARACTERS)" }
        var lines = [
            "assets            \(stats.assets) (\(stats.bytes) bytes) in \(stats.books) books",
            "requests          \(stats.hits) hits, \(stats.misses) misses, hit rate \(percent(stats.hitRate))",
            "generations       \(stats.generations) (\(stats.failures) failed requests)",
            "characters        \(stats.charactersGenerated) generated, \(stats.charactersSaved) saved",
            "cost              \(money(stats.costGenerated)) generated, \(money(stats.costSaved)) saved",
            "budget today      \(stats.budget.charactersSpent) of \(stats.budget.dailyLimit.map(String.init) ?? "no limit") (\(stats.budget.day))",
        ]
        if let latency = stats.upstreamLatencyLastHour {
            lines.append(
                String(
                    format: "upstream (1 h)    p50 %.2f s, p95 %.2f s, p99 %.2f s over %d generations",
                    latency.p50Seconds, latency.p95Seconds, latency.p99Seconds, latency.generations))
        }
        if !stats.topVoices.isEmpty {
            lines.append("top voices        " + stats.topVoices.map { "\($0.id) (\($0.hits))" }.joined(separator: ", "))
        }
        if !stats.topBooks.isEmpty {
            lines.append("top books         " + stats.topBooks.map { "\($0.id) (\($0.hits))" }.joined(separator: ", "))
        }
        for client in stats.byClient {
            lines.append(
                "client \(client.name): \(client.hits) hits, \(client.generations) generations, \(client.charactersGenerated) characters")
        }
        return lines.joined(separator: "\n")
    }
}
