import Logging
public import PostgresNIO
public import VaultCore

/// A cluster's usage ledger in its catalog (migration 11: `ledger_generations`, `ledger_failures`,
/// `ledger_hits`, `ledger_admin_actions`, the SQLite ledger's tables under a prefix), so `/admin/stats`, the
/// dashboard and pre-generation's voice order are the whole cluster's on every node. Each node's
/// `LedgerWriter` writes its own batches; a batch is one transaction.
///
/// Every question is answered in the same terms as SQLite's (`LedgerQuestion.sqlite`): integer columns cast to
/// `bigint`, orderings by text in bytewise ("C") order as SQLite's default collation orders them, days in UTC;
/// `UsageHistoryTests` holds the two to one report for the same events.
public struct PostgresUsageLedger: UsageHistory {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func write(_ batch: LedgerBatch) async throws {
        let rows = batch.rows
        let logger = logger
        try await client.withTransaction(logger: logger) { connection in
            try await Self.insert(rows, on: connection, logger: logger)
        }
    }

    public func answer(_ question: LedgerQuestion) async throws -> [[SQLiteDatabase.Value]] {
        let rows = try await client.query(Self.query(question), logger: logger)
        var answer: [[SQLiteDatabase.Value]] = []
        for try await row in rows {
            answer.append(try row.map(Self.value))
        }
        return answer
    }

    public func identity() async throws -> String {
        let rows = try await client.query("SELECT id FROM ledger_identity", logger: logger)
        for try await id in rows.decode(String.self) { return id }
        throw ClusterStoreError.catalogUnavailable("the catalog's usage ledger has no identity row (migration 12)")
    }

    public func rows(of table: LedgerTable) async throws -> [[SQLiteDatabase.Value]] {
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: "SELECT \(table.columns.joined(separator: ", ")) FROM ledger_\(table.name) ORDER BY \(table.order)"),
            logger: logger)
        var all: [[SQLiteDatabase.Value]] = []
        for try await row in rows { all.append(try row.map(Self.value)) }
        return all
    }

    /// Rows per `INSERT`: well inside PostgreSQL's bound of parameters per statement.
    static let rowsPerInsert = 500

    public func carry(_ rows: [LedgerTable: [[SQLiteDatabase.Value]]], from source: String, at time: Double) async throws -> Bool {
        let logger = logger
        return try await client.withTransaction(logger: logger) { connection in
            let claimed = try await connection.query(
                "INSERT INTO ledger_sources VALUES (\(source), \(time)) ON CONFLICT DO NOTHING RETURNING source", logger: logger
            ).collect()
            guard !claimed.isEmpty else { return false }
            try await Self.insert(rows, on: connection, logger: logger)
            return true
        }
    }

    /// Inserts rows into each table in multi-row statements (hits adding to a day's counts already there, in
    /// the batch's key order, so nodes writing the same rows lock them in one order).
    static func insert(_ rows: [LedgerTable: [[SQLiteDatabase.Value]]], on connection: PostgresConnection, logger: Logger) async throws {
        for table in LedgerTable.allCases {
            let all = rows[table] ?? []
            for start in stride(from: 0, to: all.count, by: rowsPerInsert) {
                let chunk = all[start..<min(start + rowsPerInsert, all.count)]
                try await connection.query(try insert(Array(chunk), into: table), logger: logger)
            }
        }
    }

    /// One multi-row `INSERT` of `rows` into `table`, every value bound.
    static func insert(_ rows: [[SQLiteDatabase.Value]], into table: LedgerTable) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: rows.count * table.columns.count)
        var tuples: [String] = []
        for row in rows {
            guard row.count == table.columns.count else {
                throw ClusterStoreError.catalogUnavailable("a \(table.name) row has \(row.count) columns, not \(table.columns.count)")
            }
            var placeholders: [String] = []
            for value in row {
                switch value {
                case let .integer(integer): bindings.append(integer)
                case let .real(real): bindings.append(real)
                case let .text(text): bindings.append(text)
                case .null: bindings.appendNull()
                }
                placeholders.append("$\(bindings.count)")
            }
            tuples.append("(" + placeholders.joined(separator: ", ") + ")")
        }
        let name = "ledger_" + table.name
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO \(name) (\(table.columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))
                \(table.conflict(table: name))
                """,
            binds: bindings)
    }

    /// A cell as the report reads it: integers, reals and text, as SQLite hands them.
    static func value(_ cell: PostgresCell) throws -> SQLiteDatabase.Value {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        default: return .text(try cell.decode(String.self))
        }
    }

    static func query(_ question: LedgerQuestion) -> PostgresQuery {
        switch question {
        case .hitTotals:
            """
            SELECT coalesce(sum(hits), 0)::bigint, coalesce(sum(joined), 0)::bigint, coalesce(sum(characters_saved), 0)::bigint
            FROM ledger_hits
            """
        case .generationTotals:
            "SELECT count(*), coalesce(sum(coalesce(character_cost, characters)), 0)::bigint FROM ledger_generations"
        case .failureCount:
            "SELECT count(*) FROM ledger_failures"
        case .topVoices:
            """
            SELECT voice_id, sum(hits)::bigint AS n FROM ledger_hits GROUP BY voice_id HAVING sum(hits) > 0
            ORDER BY n DESC, voice_id COLLATE "C" LIMIT 10
            """
        case .topBooks:
            """
            SELECT book_id, sum(hits)::bigint AS n FROM ledger_hits GROUP BY book_id HAVING sum(hits) > 0
            ORDER BY n DESC, book_id COLLATE "C" LIMIT 10
            """
        case .byClient:
            """
            SELECT name, sum(h)::bigint, sum(g)::bigint, sum(c)::bigint FROM (
              SELECT coalesce(client_name, nullif(client_key_id, ''), '-') AS name, hits AS h, 0 AS g, 0 AS c FROM ledger_hits
              UNION ALL
              SELECT coalesce(client_name, client_key_id, '-'), 0, 1, coalesce(character_cost, characters) FROM ledger_generations
            ) AS usage GROUP BY name ORDER BY name COLLATE "C"
            """
        case let .days(from):
            """
            SELECT day, sum(h)::bigint, sum(m)::bigint, sum(cg)::bigint, sum(cs)::bigint FROM (
              SELECT day, hits AS h, joined AS m, 0 AS cg, characters_saved AS cs FROM ledger_hits WHERE day >= \(from)
              UNION ALL
              SELECT to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 0, 1, coalesce(character_cost, characters), 0
              FROM ledger_generations WHERE at >= extract(epoch FROM \(from)::date)
            ) AS usage GROUP BY day ORDER BY day COLLATE "C"
            """
        case .recentGenerations:
            """
            SELECT at, content_hash, book_id, voice_id, characters, upstream_ms FROM ledger_generations
            ORDER BY id DESC LIMIT 20
            """
        case let .upstreamMilliseconds(since):
            "SELECT upstream_ms FROM ledger_generations WHERE at >= \(since) ORDER BY upstream_ms LIMIT 10000"
        case .requestsByVoice:
            """
            SELECT voice_id, sum(n)::bigint FROM (
              SELECT voice_id, sum(hits) AS n FROM ledger_hits GROUP BY voice_id
              UNION ALL SELECT voice_id, count(*) FROM ledger_generations GROUP BY voice_id
            ) AS requests GROUP BY voice_id
            """
        case let .hits(contentHash):
            "SELECT coalesce(sum(hits), 0)::bigint FROM ledger_hits WHERE content_hash = \(contentHash)"
        }
    }
}
