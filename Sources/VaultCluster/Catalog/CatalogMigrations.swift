/// The catalog's schema, as numbered SQL migrations of our own: append-only (a shipped migration never
/// changes; a change is a new one), applied in order by `CatalogMigrator`. Each migration's statements run in
/// one transaction with its record in `voicevault_schema`.
public struct CatalogMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

public enum CatalogMigrations {
    public static let all: [CatalogMigration] = [
        CatalogMigration(
            version: 1, name: "budgets",
            statements: [
                // The server's daily character budget, spent as generations reserve it (Docs/CLUSTER.md, "Money").
                """
                CREATE TABLE budget_days (
                    day date PRIMARY KEY,
                    spent bigint NOT NULL CHECK (spent >= 0)
                )
                """,
                // Each client key's own daily budget.
                """
                CREATE TABLE key_budget_days (
                    key_id text NOT NULL,
                    day date NOT NULL,
                    spent bigint NOT NULL CHECK (spent >= 0),
                    PRIMARY KEY (key_id, day)
                )
                """,
            ]),
        CatalogMigration(
            version: 2, name: "flights",
            statements: [
                // Which node generates a hash right now, written by the holder of the hash's advisory lock
                // (`PostgresFlightLock`); other nodes forward to `node_url`. A row outlives a dead holder and is
                // overwritten by the next winner.
                """
                CREATE TABLE flights (
                    hash text PRIMARY KEY,
                    node_url text NOT NULL,
                    started_at timestamptz NOT NULL
                )
                """
            ]),
    ]

    /// The newest version this build knows.
    public static var current: Int { all.last?.version ?? 0 }
}
