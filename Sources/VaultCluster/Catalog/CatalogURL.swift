import Foundation
public import PostgresNIO

/// The PostgreSQL catalog a node uses, from `VOICEVAULT_CATALOG_URL`:
/// `postgres://user:password@host:port/database?sslmode=...&sslrootcert=...` (port 5432 when left out).
/// Connections are plain TCP unless `sslmode` asks for TLS (`CatalogTLS`, libpq's modes); a mode this build
/// does not know is refused at start rather than silently sent in the clear.
public struct CatalogURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// The most connections a node opens to the catalog for each of its two uses: its pool (records, budgets,
    /// rates) and the flights it holds (one connection each, `PostgresFlightLock`). With the follower's one,
    /// a node opens at most `2 x connections + 1`, whatever clients send (`VOICEVAULT_CATALOG_CONNECTIONS`).
    public var connections = CatalogURL.defaultConnections
    public static let defaultConnections = 10
    public var tls = CatalogTLS.disabled

    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case notPostgres
        case missingPart(String)
        case unsupportedSSLMode(String)
        case unusableTLS(String)

        public var description: String {
            switch self {
            case .notPostgres: "VOICEVAULT_CATALOG_URL must start with postgres:// or postgresql://"
            case let .missingPart(part): "VOICEVAULT_CATALOG_URL names no \(part) (postgres://user:password@host:port/database)"
            case let .unsupportedSSLMode(mode):
                "VOICEVAULT_CATALOG_URL asks for sslmode=\(mode); this build knows "
                    + CatalogTLS.Mode.allCases.map(\.rawValue).joined(separator: ", ")
            case let .unusableTLS(why): why
            }
        }
    }

    public init(parsing text: String) throws(Invalid) {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw .notPostgres
        }
        guard let host = components.host, !host.isEmpty else { throw .missingPart("host") }
        guard let user = components.user, !user.isEmpty else { throw .missingPart("user") }
        let database = components.path.split(separator: "/").joined(separator: "/")
        guard !database.isEmpty else { throw .missingPart("database") }
        let query = components.queryItems ?? []
        if let text = query.first(where: { $0.name == "sslmode" })?.value {
            guard let mode = CatalogTLS.Mode(rawValue: text) else { throw .unsupportedSSLMode(text) }
            do {
                tls = try CatalogTLS(mode: mode, rootCertificate: query.first(where: { $0.name == "sslrootcert" })?.value)
            } catch { throw .unusableTLS(error.description) }
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
    }

    /// The pool's configuration for this catalog.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls.forPool)
        configuration.options.maximumConnections = connections
        return configuration
    }

    /// The configuration of a single connection outside the pool (a flight's, which holds a session lock).
    public var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls.forConnection)
    }
}
