/// The questions reports ask the usage ledger, one per query, whatever database holds it: each
/// `UsageHistory` answers them in its own SQL (`sqlite` here; PostgreSQL's in `PostgresUsageLedger`) with the
/// columns in the order and of the kinds each case names, and `LedgerReport` reads the answers, so the
/// numbers are computed the same way on one machine and on a cluster.
public enum LedgerQuestion: Sendable, Equatable {
    /// One row: hits, joined requests, characters saved (integers).
    case hitTotals
    /// One row: generations, characters generated (upstream's cost, else the text's length) (integers).
    case generationTotals
    /// One row: failures (integer).
    case failureCount
    /// Voice, hits: the ten most heard voices, most first, then by voice.
    case topVoices
    /// Book, hits: the ten most heard books, most first, then by book.
    case topBooks
    /// Name, hits, generations, characters generated, per client (its name, else its key id, else "-"), by name.
    case byClient
    /// Day (`YYYY-MM-DD`, UTC), hits, misses, characters generated, characters saved, for each day from `from`.
    case days(from: String)
    /// At (seconds), content hash, book, voice, characters, upstream milliseconds: the last 20 generations, newest first.
    case recentGenerations
    /// Upstream milliseconds (real) of generations at or after `since` (seconds), ascending, at most 10,000.
    case upstreamMilliseconds(since: Double)
    /// Voice, requests (hits and generations) over the whole history.
    case requestsByVoice
    /// One row: the hits an asset has had, over every day, book and key.
    case hits(contentHash: String)

    /// The question in SQLite's SQL, with its values bound to `?1...` (the same SQL is in Docs/OPERATIONS.md).
    public var sqlite: (sql: String, values: [SQLiteDatabase.Value]) {
        switch self {
        case .hitTotals:
            ("SELECT coalesce(sum(hits),0), coalesce(sum(joined),0), coalesce(sum(characters_saved),0) FROM hits", [])
        case .generationTotals:
            ("SELECT count(*), coalesce(sum(coalesce(character_cost, characters)),0) FROM generations", [])
        case .failureCount:
            ("SELECT count(*) FROM failures", [])
        case .topVoices:
            ("SELECT voice_id, sum(hits) AS n FROM hits GROUP BY voice_id HAVING n > 0 ORDER BY n DESC, voice_id LIMIT 10", [])
        case .topBooks:
            ("SELECT book_id, sum(hits) AS n FROM hits GROUP BY book_id HAVING n > 0 ORDER BY n DESC, book_id LIMIT 10", [])
        case .byClient:
            (
                """
                SELECT name, sum(h), sum(g), sum(c) FROM (
                  SELECT coalesce(client_name, nullif(client_key_id, ''), '-') AS name, hits AS h, 0 AS g, 0 AS c FROM hits
                  UNION ALL
                  SELECT coalesce(client_name, client_key_id, '-'), 0, 1, coalesce(character_cost, characters) FROM generations)
                GROUP BY name ORDER BY name
                """, []
            )
        case let .days(from):
            (
                """
                SELECT day, sum(h), sum(m), sum(cg), sum(cs) FROM (
                  SELECT day, hits AS h, joined AS m, 0 AS cg, characters_saved AS cs FROM hits WHERE day >= ?1
                  UNION ALL
                  SELECT date(at, 'unixepoch'), 0, 1, coalesce(character_cost, characters), 0 FROM generations WHERE at >= unixepoch(?1))
                GROUP BY day ORDER BY day
                """, [.text(from)]
            )
        case .recentGenerations:
            ("SELECT at, content_hash, book_id, voice_id, characters, upstream_ms FROM generations ORDER BY id DESC LIMIT 20", [])
        case let .upstreamMilliseconds(since):
            ("SELECT upstream_ms FROM generations WHERE at >= ?1 ORDER BY upstream_ms LIMIT 10000", [.real(since)])
        case .requestsByVoice:
            (
                """
                SELECT voice_id, sum(n) FROM (SELECT voice_id, sum(hits) AS n FROM hits GROUP BY voice_id
                UNION ALL SELECT voice_id, count(*) AS n FROM generations GROUP BY voice_id) GROUP BY voice_id
                """, []
            )
        case let .hits(contentHash):
            ("SELECT coalesce(sum(hits),0) FROM hits WHERE content_hash = ?1", [.text(contentHash)])
        }
    }
}
