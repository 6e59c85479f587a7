import Logging
import PostgresNIO

/// A session advisory lock on a connection of its own, as flights (`PostgresFlightLock`) and roles
/// (`PostgresLease`) hold them: the lock lives exactly as long as the connection, which asks PostgreSQL for a
/// short TCP keepalive so that a holder whose machine vanished loses it within idle + interval x count seconds
/// (a holder whose process died loses it at once).
enum SessionAdvisoryLock {
    /// The keepalive each such connection asks for.
    static let keepalive = (idle: 5, interval: 2, count: 3)

    /// The two forms of key: two 32-bit keys (flights, by hash) and one 64-bit key (roles, the migrator's): separate
    /// lock spaces in PostgreSQL, so the two can never collide.
    enum Key {
        case pair(Int32, Int32)
        case single(Int64)
    }

    /// Connects and, in one round trip, sets the keepalive and tries the lock, never waiting for it. The open
    /// connection and whether the lock is now its; on a failure the connection is closed.
    static func connect(trying key: Key, configuration: PostgresConnection.Configuration, logger: Logger) async throws -> (
        connection: PostgresConnection, won: Bool
    ) {
        let connection = try await PostgresConnection.connect(
            configuration: configuration, id: PostgresFlightLock.nextConnectionID(), logger: logger)
        do {
            let (idle, interval, count) = keepalive
            let settings = """
                SELECT set_config('tcp_keepalives_idle', '\(idle)', false),
                       set_config('tcp_keepalives_interval', '\(interval)', false),
                       set_config('tcp_keepalives_count', '\(count)', false),
                """
            let rows =
                switch key {
                case let .pair(high, low):
                    try await connection.query("\(unescaped: settings) pg_try_advisory_lock(\(high), \(low))", logger: logger)
                case let .single(key):
                    try await connection.query("\(unescaped: settings) pg_try_advisory_lock(\(key))", logger: logger)
                }
            var won = false
            for try await (_, _, _, taken) in rows.decode((String, String, String, Bool).self) { won = taken }
            return (connection, won)
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
