import Foundation
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// The catalog over TLS, against the test PostgreSQL (which offers it with a self-signed certificate for
/// 127.0.0.1): each `sslmode` connects as libpq's does, for the pool and for a node's own connections (a flight),
/// and `verify-full` refuses a server its root did not sign.
@Suite struct CatalogTLSTests {
    static let logger = Logger(label: "catalog-tls-test")

    /// Whether the pool's connection to `url` is encrypted, as PostgreSQL sees it.
    static func poolIsEncrypted(_ url: CatalogURL) async throws -> Bool {
        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger)
        return try await client.whileRunning {
            let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger)
            for try await ssl in rows.decode(Bool.self) { return ssl }
            return false
        }
    }

    /// Whether a node's own connection (a flight's) to `url` is encrypted.
    static func connectionIsEncrypted(_ url: CatalogURL) async throws -> Bool {
        let connection = try await PostgresConnection.connect(configuration: url.connectionConfiguration, id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger)
        for try await ssl in rows.decode(Bool.self) { return ssl }
        return false
    }

    @Test func everyModeConnectsAsLibpqWould() async throws {
        let postgres = try await PostgreSQL.shared()
        let base = try await postgres.createDatabase()
        let root = "sslrootcert=\(postgres.certificate)"
        let expectations: [(String, Bool)] = [
            ("sslmode=disable", false), ("sslmode=prefer", true), ("sslmode=require", true),
            ("sslmode=verify-ca&\(root)", true), ("sslmode=verify-full&\(root)", true),
        ]
        for (query, encrypted) in expectations {
            let url = try CatalogURL(parsing: base + "?" + query)
            #expect(try await Self.poolIsEncrypted(url) == encrypted, "\(query), the pool")
            #expect(try await Self.connectionIsEncrypted(url) == encrypted, "\(query), a node's own connection")
        }
        // A flight's claim over TLS: the node's whole path to the catalog is encrypted.
        let verified = try CatalogURL(parsing: base + "?sslmode=verify-full&\(root)")
        try await withCatalog(base) { client, _ in _ = try await CatalogMigrator.migrate(client, logger: Self.logger) }
        guard
            case let .won(flight) = try await PostgresFlightLock(catalog: verified, nodeURL: "http://a", logger: Self.logger)
                .claim(SHA256Digest.test("over tls"))
        else {
            Issue.record("the first claim must win")
            return
        }
        await flight.end()
    }

    /// A root that did not sign the server's certificate: `verify-full` and `verify-ca` refuse to connect,
    /// `require` (which checks nothing, as libpq's does) connects.
    @Test func aServerAnotherRootSignedIsRefused() async throws {
        let postgres = try await PostgreSQL.shared()
        let base = try await postgres.createDatabase()
        let directory = TemporaryDirectory("vv-other-root")
        try PostgreSQL.makeCertificate(certificate: directory.sub("other.crt"), key: directory.sub("other.key"))
        for mode in ["verify-full", "verify-ca"] {
            let url = try CatalogURL(parsing: base + "?sslmode=\(mode)&sslrootcert=\(directory.sub("other.crt"))")
            await #expect(throws: (any Error).self, "\(mode)") { _ = try await Self.connectionIsEncrypted(url) }
        }
        #expect(try await Self.connectionIsEncrypted(try CatalogURL(parsing: base + "?sslmode=require")))
    }
}
