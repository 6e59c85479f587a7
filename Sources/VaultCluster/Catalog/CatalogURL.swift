import Foundation
public import PostgresNIO

/// The PostgreSQL catalog a node uses, from `VOICEVAULT_CATALOG_URL`:
/// `postgres://user:password@host:port/database` (port 5432 when left out). Connections are plain TCP:
/// `sslmode=disable` (the default) is the only mode this build speaks, for a database on a private network;
/// any other mode is refused at start rather than silently sent in the clear.
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

    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case notPostgres
        case missingPart(String)
        case unsupportedSSLMode(String)

        public var description: String {
            switch self {
            case .notPostgres: "VOICEVAULT_CATALOG_URL must start with postgres:// or postgresql://"
            case let .missingPart(part): "VOICEVAULT_CATALOG_URL names no \(part) (postgres://user:password@host:port/database)"
            case let .unsupportedSSLMode(mode):
                "VOICEVAULT_CATALOG_URL asks for sslmode=\(mode); this build connects with sslmode=disable only"
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
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value, mode != "disable" {
            throw .unsupportedSSLMode(mode)
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
            host: host, port: port, username: username, password: password, database: database, tls: .disable)
        configuration.options.maximumConnections = connections
        return configuration
    }

    /// The configuration of a single connection outside the pool (a flight's, which holds a session lock).
    public var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: .disable)
    }
}
