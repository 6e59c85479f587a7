import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultTestSupport

/// A PostgreSQL client on a fresh database of the shared test server, run for the length of `body`.
func withCatalog<T: Sendable>(_ given: String? = nil, _ body: (PostgresClient, String) async throws -> T) async throws -> T {
    let url: String
    if let given { url = given } else { url = try await PostgreSQL.shared().createDatabase() }
    let client = PostgresClient(
        configuration: try CatalogURL(parsing: url).clientConfiguration, backgroundLogger: Logger(label: "catalog-test"))
    return try await client.whileRunning { try await body(client, url) }
}

/// Ends every session of `catalog`'s database holding an advisory lock of the single-key (`objsubid` 1) or the
/// two-key (2) form, as a node's death or a network cut would.
func terminateAdvisoryLockHolders(_ catalog: CatalogURL, keyForm objsubid: Int) async throws {
    let logger = Logger(label: "catalog-test")
    let admin = PostgresClient(configuration: catalog.clientConfiguration, backgroundLogger: logger)
    try await admin.whileRunning {
        try await admin.query(
            """
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND objsubid = \(objsubid)
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, logger: logger)
    }
}

/// Migrations against a real PostgreSQL: applied once however many nodes start together, refused when the
/// catalog is newer than the build.
@Suite struct CatalogMigratorTests {
    static let logger = Logger(label: "catalog-test")

    @Test func aNewCatalogIsBroughtToTheCurrentVersionAndASecondRunDoesNothing() async throws {
        try await withCatalog { client, _ in
            #expect(try await CatalogMigrator.migrate(client, logger: Self.logger) == CatalogMigrations.all.map(\.version))
            #expect(try await CatalogMigrator.migrate(client, logger: Self.logger) == [])
            let rows = try await client.query("SELECT count(*) FROM voicevault_schema", logger: Self.logger)
            for try await count in rows.decode(Int.self) { #expect(count == CatalogMigrations.all.count) }
        }
    }

    /// Eight nodes starting at once, each with its own pool: every migration is applied by exactly one.
    @Test func nodesStartingTogetherMigrateOnce() async throws {
        let url = try await PostgreSQL.shared().createDatabase()
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 {
                group.addTask { try await withCatalog(url) { client, _ in try await CatalogMigrator.migrate(client, logger: Self.logger) } }
            }
            var all: [Int] = []
            for try await versions in group { all += versions }
            return all
        }
        #expect(applied.sorted() == CatalogMigrations.all.map(\.version))
    }

    @Test func aCatalogNewerThanTheBuildIsRefused() async throws {
        try await withCatalog { client, _ in
            let future = CatalogMigrations.all + [CatalogMigration(version: 99, name: "from the future", statements: ["SELECT 1"])]
            try await CatalogMigrator.migrate(client, migrations: future, logger: Self.logger)
            await #expect(throws: CatalogMigrator.Failure.newerCatalog(found: 99, supported: CatalogMigrations.current)) {
                try await CatalogMigrator.migrate(client, logger: Self.logger)
            }
        }
    }
}

@Suite struct CatalogURLTests {
    @Test func theDocumentedSpellingIsRead() throws {
        let url = try CatalogURL(parsing: "postgres://vv:p%40ss@db.internal:6432/voicevault")
        #expect(url == (try CatalogURL(parsing: "postgresql://vv:p%40ss@db.internal:6432/voicevault")))
        #expect(
            url.host == "db.internal" && url.port == 6432 && url.username == "vv" && url.password == "p@ss" && url.database == "voicevault")
        #expect(try CatalogURL(parsing: "postgres://vv@db/voicevault?sslmode=disable").port == 5432)
        #expect(url.tls.mode == .disable)
        for mode in CatalogTLS.Mode.allCases {
            #expect(try CatalogURL(parsing: "postgres://vv@db/voicevault?sslmode=\(mode.rawValue)").tls.mode == mode)
        }
    }

    @Test(arguments: [
        ("mysql://vv@db/x", CatalogURL.Invalid.notPostgres), ("postgres://db/x", .missingPart("user")),
        ("postgres://vv@db", .missingPart("database")), ("postgres://vv@db/x?sslmode=allow", .unsupportedSSLMode("allow")),
        (
            "postgres://vv@db/x?sslmode=verify-full&sslrootcert=/nonexistent/root.crt",
            .unusableTLS("VOICEVAULT_CATALOG_URL's sslrootcert /nonexistent/root.crt cannot be read")
        ),
    ])
    func badSpellingsSayWhatIsWrong(text: String, expected: CatalogURL.Invalid) {
        #expect(throws: expected) { try CatalogURL(parsing: text) }
    }
}
