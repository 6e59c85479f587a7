/// What the ledger's history says, for `/admin/stats`, `voicevault stats` and the dashboard: every query
/// behind them in one place, so the numbers agree wherever they are shown. The same SQL is in
/// Docs/OPERATIONS.md for `sqlite3`.
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
    public static func read(_ ledger: UsageLedger, now: Double, days dayCount: Int = 14) throws -> LedgerReport {
        var report = LedgerReport()
        if let row = try ledger.query("SELECT coalesce(sum(hits),0), coalesce(sum(joined),0), coalesce(sum(characters_saved),0) FROM hits")
            .first
        {
            report.hits = row[0].int ?? 0
            report.joined = row[1].int ?? 0
            report.charactersSaved = row[2].int ?? 0
        }
        if let row = try ledger.query("SELECT count(*), coalesce(sum(coalesce(character_cost, characters)),0) FROM generations").first {
            report.generations = row[0].int ?? 0
            report.charactersGenerated = row[1].int ?? 0
        }
        report.failures = try ledger.query("SELECT count(*) FROM failures").first?.first?.int ?? 0
        report.topVoices = try ledger.query(
            "SELECT voice_id, sum(hits) AS n FROM hits GROUP BY voice_id HAVING n > 0 ORDER BY n DESC, voice_id LIMIT 10"
        ).map { Count(id: $0[0].string ?? "", hits: $0[1].int ?? 0) }
        report.topBooks = try ledger.query(
            "SELECT book_id, sum(hits) AS n FROM hits GROUP BY book_id HAVING n > 0 ORDER BY n DESC, book_id LIMIT 10"
        ).map { Count(id: $0[0].string ?? "", hits: $0[1].int ?? 0) }
        report.byClient = try ledger.query(
            """
            SELECT name, sum(h), sum(g), sum(c) FROM (
              SELECT coalesce(client_name, nullif(client_key_id, ''), '-') AS name, hits AS h, 0 AS g, 0 AS c FROM hits
              UNION ALL
              SELECT coalesce(client_name, client_key_id, '-'), 0, 1, coalesce(character_cost, characters) FROM generations)
            GROUP BY name ORDER BY name
            """
        ).map {
            ClientUsage(name: $0[0].string ?? "-", hits: $0[1].int ?? 0, generations: $0[2].int ?? 0, charactersGenerated: $0[3].int ?? 0)
        }
        let firstDay = CharacterBudget.day(of: .init(timeIntervalSince1970: now - Double(dayCount - 1) * 86_400))
        report.days = try ledger.query(
            """
            SELECT day, sum(h), sum(m), sum(cg), sum(cs) FROM (
              SELECT day, hits AS h, joined AS m, 0 AS cg, characters_saved AS cs FROM hits WHERE day >= ?1
              UNION ALL
              SELECT date(at, 'unixepoch'), 0, 1, coalesce(character_cost, characters), 0 FROM generations WHERE at >= unixepoch(?1))
            GROUP BY day ORDER BY day
            """, [.text(firstDay)]
        ).map {
            Day(
                day: $0[0].string ?? "", hits: $0[1].int ?? 0, misses: $0[2].int ?? 0, charactersGenerated: $0[3].int ?? 0,
                charactersSaved: $0[4].int ?? 0)
        }
        report.recentGenerations = try ledger.query(
            "SELECT at, content_hash, book_id, voice_id, characters, upstream_ms FROM generations ORDER BY id DESC LIMIT 20"
        ).map {
            RecentGeneration(
                at: $0[0].double ?? 0, contentHash: $0[1].string ?? "", bookId: $0[2].string ?? "",
                voiceId: $0[3].string ?? "", characters: $0[4].int ?? 0, upstreamSeconds: ($0[5].double ?? 0) / 1000)
        }
        report.upstreamSecondsLastHour = try ledger.query(
            "SELECT upstream_ms FROM generations WHERE at >= ?1 ORDER BY upstream_ms LIMIT 10000", [.real(now - 3600)]
        ).compactMap { $0[0].double.map { $0 / 1000 } }
        return report
    }

    /// Requests per voice over the whole history (hits and generations): which voices readers ask for most,
    /// so pre-generation can do those first.
    public static func requestsByVoice(in ledger: UsageLedger) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try ledger.query(
            """
            SELECT voice_id, sum(n) FROM (SELECT voice_id, sum(hits) AS n FROM hits GROUP BY voice_id
            UNION ALL SELECT voice_id, count(*) AS n FROM generations GROUP BY voice_id) GROUP BY voice_id
            """)
        {
            if let voice = row.first?.string, let count = row.last?.int { result[voice] = count }
        }
        return result
    }

    /// Hits an asset has had, over every day, book and key.
    public static func hits(of contentHash: String, in ledger: UsageLedger) throws -> Int {
        try ledger.query("SELECT coalesce(sum(hits),0) FROM hits WHERE content_hash = ?1", [.text(contentHash)]).first?.first?.int ?? 0
    }

    /// The p-th percentile (0...1) of ascending values, nearest rank; nil when there are none.
    public static func percentile(_ p: Double, of ascending: [Double]) -> Double? {
        guard !ascending.isEmpty else { return nil }
        let rank = Int((p * Double(ascending.count)).rounded(.up))
        return ascending[min(ascending.count - 1, max(0, rank - 1))]
    }
}
