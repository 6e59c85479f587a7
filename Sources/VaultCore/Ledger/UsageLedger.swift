public import Foundation
public import Logging

/// The usage ledger: one SQLite file in the data directory (`usage.sqlite`, WAL) with the history the index
/// does not keep: generations with their cost and timings, failures with their codes, hits per day per asset
/// per book per client key, and admin actions (schema in Docs/OPERATIONS.md, "The usage ledger").
///
/// It is accounting, not truth: the LMDB counter decides the budget, the index decides what exists. So a
/// ledger that cannot be read never stops the server: a damaged file is set aside and a new one started.
///
/// Every method blocks (SQLite I/O); one connection, serialised by a mutex.
public final class UsageLedger: @unchecked Sendable {
    // @unchecked: the connection is only touched inside `lock`.
    let database: SQLiteDatabase
    let lock = PosixMutex()
    public let path: String

    public static let fileName = "usage.sqlite"
    /// `PRAGMA user_version` of the schema this build writes.
    public static let schemaVersion = 3

    public enum OpenError: Error, CustomStringConvertible {
        case newerSchema(Int)
        case sqlite(SQLiteDatabase.Failure)
        public var description: String {
            switch self {
            case let .newerSchema(version): "the ledger has schema \(version), newer than this build's \(UsageLedger.schemaVersion)"
            case let .sqlite(failure): "\(failure)"
            }
        }
    }

    /// Opens (creating or migrating) the ledger at `path`. `readOnly` is for `voicevault stats`, which may run
    /// beside a serving process.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        database = try SQLiteDatabase(path: path, readOnly: readOnly)
        if readOnly {
            _ = try database.rows("PRAGMA user_version")
            return
        }
        try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        let version = try database.rows("PRAGMA user_version").first?.first?.int ?? 0
        guard version <= Self.schemaVersion else { throw OpenError.newerSchema(version) }
        try database.transaction {
            for step in Self.migrations.dropFirst(version) { try database.execute(step) }
            try database.execute("PRAGMA user_version = \(Self.schemaVersion)")
        }
    }

    /// Opens the ledger in `directory`; a file SQLite cannot read (not a database, damaged, or from a newer
    /// build) is renamed `usage.sqlite.set-aside-<time>` (with its `-wal` and `-shm`) and a new ledger is
    /// started. Nil only when even a new file cannot be made (a full or read-only disk): the server then runs
    /// without history.
    public static func openOrSetAside(in directory: DataDirectory, logger: Logger, now: Date = Date()) -> UsageLedger? {
        let path = directory.ledgerFile
        do {
            let ledger = try UsageLedger(path: path)
            try ledger.check()
            return ledger
        } catch {
            let aside = path + ".set-aside-" + String(Int(now.timeIntervalSince1970))
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            logger.error(
                "the usage ledger could not be opened; it was set aside and a new one started",
                metadata: ["error": "\(error)", "setAside": "\(aside)"])
            do { return try UsageLedger(path: path) } catch {
                logger.error("no usage ledger: a new one cannot be created", metadata: ["error": "\(error)"])
                return nil
            }
        }
    }

    /// A cheap read of every table, so a damaged file is found at start, not at the first write.
    func check() throws {
        try lock.withLock {
            for table in LedgerTable.allCases.map(\.name) + ["ledger_identity"] {
                _ = try database.rows("SELECT count(*) FROM \(table)")
            }
        }
    }

    /// Schema steps, one per version: step N takes a ledger from version N to N+1. A new version appends a
    /// step (ALTER TABLE, CREATE ...) and never edits an old one.
    static let migrations = [
        """
        CREATE TABLE generations (
            id INTEGER PRIMARY KEY, at REAL NOT NULL, content_hash TEXT NOT NULL, book_id TEXT NOT NULL,
            chapter_id TEXT, voice_id TEXT NOT NULL, model_id TEXT NOT NULL, characters INTEGER NOT NULL,
            character_cost INTEGER, upstream_request_id TEXT, upstream_ms REAL NOT NULL, write_ms REAL NOT NULL,
            index_ms REAL NOT NULL, attempts INTEGER NOT NULL, client_key_id TEXT, client_name TEXT);
        CREATE INDEX generations_at ON generations(at);
        CREATE TABLE failures (
            id INTEGER PRIMARY KEY, at REAL NOT NULL, book_id TEXT NOT NULL, error_code TEXT NOT NULL,
            client_key_id TEXT, client_name TEXT);
        CREATE TABLE hits (
            day TEXT NOT NULL, content_hash TEXT NOT NULL, book_id TEXT NOT NULL, client_key_id TEXT NOT NULL,
            client_name TEXT, voice_id TEXT NOT NULL, hits INTEGER NOT NULL, joined INTEGER NOT NULL,
            characters_saved INTEGER NOT NULL, PRIMARY KEY (day, content_hash, book_id, client_key_id)) WITHOUT ROWID;
        CREATE TABLE admin_actions (
            id INTEGER PRIMARY KEY, at REAL NOT NULL, action TEXT NOT NULL, content_hash TEXT, book_id TEXT,
            books INTEGER NOT NULL, links INTEGER NOT NULL, assets_removed INTEGER NOT NULL,
            bytes_freed INTEGER NOT NULL, detail TEXT);
        """,
        // 2: the ledger's own identity, and the histories carried into it (`carry`), each once.
        """
        CREATE TABLE ledger_identity (id TEXT NOT NULL);
        INSERT INTO ledger_identity VALUES (lower(hex(randomblob(16))));
        CREATE TABLE ledger_sources (source TEXT PRIMARY KEY, carried_at REAL NOT NULL);
        """,
        // 3: listeners' positions in books (`EmbeddedListeningPositions`).
        """
        CREATE TABLE positions (
            key_id TEXT NOT NULL, listener TEXT NOT NULL, book_id TEXT NOT NULL, chapter_id TEXT NOT NULL,
            char INTEGER NOT NULL, at REAL NOT NULL, saved_at REAL NOT NULL,
            PRIMARY KEY (key_id, listener, book_id)) WITHOUT ROWID;
        """,
    ]

    // MARK: Writing

    /// Writes events in one transaction (`LedgerBatch`: hits summed per day, asset, book and key first).
    public func write(_ events: [LedgerEvent]) throws { try write(LedgerBatch(events)) }

    /// Writes a batch in one transaction.
    public func write(_ batch: LedgerBatch) throws {
        let rows = batch.rows
        try lock.withLock { try database.transaction { try insert(rows) } }
    }

    // MARK: Carrying

    /// This ledger's identity, made by schema step 2.
    public func identity() throws -> String {
        guard let id = try query("SELECT id FROM ledger_identity").first?.first?.string else {
            throw SQLiteDatabase.Failure(code: 0, message: "the ledger has no identity row")
        }
        return id
    }

    /// Adds another history's rows in one transaction unless `source` was carried before (`UsageHistory.carry`).
    public func carry(_ rows: [LedgerTable: [[SQLiteDatabase.Value]]], from source: String, at time: Double) throws -> Bool {
        try lock.withLock {
            try database.transaction {
                guard try database.rows("SELECT 1 FROM ledger_sources WHERE source = ?1", [.text(source)]).isEmpty else { return false }
                try database.run("INSERT INTO ledger_sources (source, carried_at) VALUES (?1, ?2)", [.text(source), .real(time)])
                try insert(rows)
                return true
            }
        }
    }

    /// Inserts rows into each table, hits adding to a day's counts already there; inside `lock` and a transaction.
    private func insert(_ rows: [LedgerTable: [[SQLiteDatabase.Value]]]) throws {
        for table in LedgerTable.allCases {
            let placeholders = table.columns.indices.map { "?\($0 + 1)" }.joined(separator: ", ")
            try database.runBatch(
                """
                INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(placeholders))
                \(table.conflict(table: table.name))
                """, rows[table] ?? [])
        }
    }

    // MARK: Reading

    /// Rows of a read-only query, for reports (`LedgerReport`).
    public func query(_ sql: String, _ values: [SQLiteDatabase.Value] = []) throws -> [[SQLiteDatabase.Value]] {
        try lock.withLock { try database.rows(sql, values) }
    }
}
