/// What the ledger's history says, for `/admin/stats`, `voicevault stats` and the dashboard: read from the
/// answers to `LedgerQuestion`s in one place, so the numbers agree wherever they are shown, on one machine or a
/// cluster.
public struct LedgerReport: Sendable, Equatable, Codable {
    public var hits = 0
    /// Requests that found no audio and joined a generation in flight (paid by another request).
    public var joined = 0
    public var generations = 0
    public var failures = 0
    /// What upstream billed (its `character-cost`, else the text's length).
    public var charactersGenerated = 0
    /// What hits and joined requests did not pay for.
    public var charactersSaved = 0
    public var topVoices: [Count] = []
    public var topBooks: [Count] = []
    public var byClient: [ClientUsage] = []
    public var days: [Day] = []
    public var recentGenerations: [RecentGeneration] = []
    /// Upstream times (seconds) of the generations of the last hour, ascending, at most 10,000.
    public var upstreamSecondsLastHour: [Double] = []

    public struct Count: Sendable, Equatable, Codable {
        public let id: String
        public let hits: Int

        public init(id: String, hits: Int) {
            self.id = id
            self.hits = hits
        }

        /// An id and its count, as `topVoices` and `topBooks` answer.
        init?(row: [SQLiteDatabase.Value]) {
            guard row.count == 2, let id = row[0].string else { return nil }
            self.init(id: id, hits: row[1].int ?? 0)
        }
    }

    public struct ClientUsage: Sendable, Equatable, Codable {
        public let name: String
        public let hits: Int
        public let generations: Int
        public let charactersGenerated: Int
    }

    public struct Day: Sendable, Equatable, Codable {
        public let day: String
        public let hits: Int
        public let misses: Int
        public let charactersGenerated: Int
        public let charactersSaved: Int
    }

    public struct RecentGeneration: Sendable, Equatable, Codable {
        public let at: Double
        public let contentHash: String
        public let bookId: String
        public let voiceId: String
        public let characters: Int
        public let upstreamSeconds: Double
    }

    public init() {}

    public var misses: Int { generations + joined }

    /// Reads the whole report. `now` is seconds since 1970; `days` is how many recent days the series holds.
    public static func read(_ history: any UsageHistory, now: Double, days dayCount: Int = 14) async throws -> LedgerReport {
        var report = LedgerReport()
        if let row = try await history.answer(.hitTotals).first, row.count == 3 {
            report.hits = row[0].int ?? 0
            report.joined = row[1].int ?? 0
            report.charactersSaved = row[2].int ?? 0
        }
        if let row = try await history.answer(.generationTotals).first, row.count == 2 {
            report.generations = row[0].int ?? 0
            report.charactersGenerated = row[1].int ?? 0
        }
        report.failures = try await history.answer(.failureCount).first?.first?.int ?? 0
        report.topVoices = try await history.answer(.topVoices).compactMap(Count.init(row:))
        report.topBooks = try await history.answer(.topBooks).compactMap(Count.init(row:))
        report.byClient = try await history.answer(.byClient).compactMap { row in
            guard row.count == 4 else { return nil }
            return ClientUsage(
                name: row[0].string ?? "-", hits: row[1].int ?? 0, generations: row[2].int ?? 0, charactersGenerated: row[3].int ?? 0)
        }
        let firstDay = CharacterBudget.day(of: .init(timeIntervalSince1970: now - Double(dayCount - 1) * 86_400))
        report.days = try await history.answer(.days(from: firstDay)).compactMap { row in
            guard row.count == 5 else { return nil }
            return Day(
                day: row[0].string ?? "", hits: row[1].int ?? 0, misses: row[2].int ?? 0, charactersGenerated: row[3].int ?? 0,
                charactersSaved: row[4].int ?? 0)
        }
        report.recentGenerations = try await history.answer(.recentGenerations).compactMap { row in
            guard row.count == 6 else { return nil }
            return RecentGeneration(
                at: row[0].double ?? 0, contentHash: row[1].string ?? "", bookId: row[2].string ?? "",
                voiceId: row[3].string ?? "", characters: row[4].int ?? 0, upstreamSeconds: (row[5].double ?? 0) / 1000)
        }
        report.upstreamSecondsLastHour = try await history.answer(.upstreamMilliseconds(since: now - 3600)).compactMap {
            $0.first?.double.map { $0 / 1000 }
        }
        return report
    }

    /// Requests per voice over the whole history (hits and generations): which voices readers ask for most,
    /// so pre-generation can do those first.
    public static func requestsByVoice(in history: any UsageHistory) async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try await history.answer(.requestsByVoice) {
            if row.count == 2, let voice = row[0].string, let count = row[1].int { result[voice] = count }
        }
        return result
    }

    /// Hits an asset has had, over every day, book and key.
    public static func hits(of contentHash: String, in history: any UsageHistory) async throws -> Int {
        try await history.answer(.hits(contentHash: contentHash)).first?.first?.int ?? 0
    }

    /// The p-th percentile (0...1) of ascending values, nearest rank; nil when there are none.
    public static func percentile(_ p: Double, of ascending: [Double]) -> Double? {
        guard !ascending.isEmpty else { return nil }
        let rank = Int((p * Double(ascending.count)).rounded(.up))
        return ascending[min(ascending.count - 1, max(0, rank - 1))]
    }
}
