import Logging
public import PostgresNIO

/// Brings a PostgreSQL catalog to `CatalogMigrations.current` at start-up. Every node runs it; the first to take
/// the migration lock (`pg_advisory_xact_lock`, held to the end of the transaction) applies what is missing and
/// records it, and the others, waiting on the lock, then find nothing to do: two nodes starting together migrate
/// once. A catalog newer than this build is refused, as an index with a newer schema stamp is.
public enum CatalogMigrator {
    /// The advisory lock's key: any constant of our own, the same in every build.
    static let lockKey: Int64 = 0x766F_6963_6576_6C74  // "voicevlt"

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case newerCatalog(found: Int, supported: Int)

        public var description: String {
            switch self {
            case let .newerCatalog(found, supported):
                "the catalog's schema is version \(found), newer than this build's \(supported): upgrade this node"
            }
        }
    }

    /// Applies the missing migrations of `migrations`; returns the versions this call applied.
    @discardableResult
    public static func migrate(
        _ client: PostgresClient, migrations: [CatalogMigration] = CatalogMigrations.all, logger: Logger
    ) async throws -> [Int] {
        do {
            return try await apply(migrations, client: client, logger: logger)
        } catch let error as PostgresTransactionError {
            // Our own refusal, as itself rather than wrapped in the transaction's error.
            if let failure = error.closureError as? Failure { throw failure }
            throw error
        }
    }

    private static func apply(_ migrations: [CatalogMigration], client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS voicevault_schema (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var found = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM voicevault_schema", logger: logger)
                .decode(Int.self)
            {
                found = version
            }
            let supported = migrations.last?.version ?? 0
            guard found <= supported else { throw Failure.newerCatalog(found: found, supported: supported) }
            var applied: [Int] = []
            for migration in migrations where migration.version > found {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO voicevault_schema (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                applied.append(migration.version)
            }
            return applied
        }
    }
}
