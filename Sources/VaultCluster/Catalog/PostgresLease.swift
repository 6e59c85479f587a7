import Logging
public import PostgresNIO
public import VaultCore
import Synchronization

/// A role one node of the cluster holds at a time (Docs/CLUSTER.md, "One job runner"): a session advisory lock
/// (single-key form, a constant per role) on a connection of its own, as a flight's is, with the same TCP
/// keepalive, so the role passes on within seconds when its holder or its machine dies. Released by closing
/// the connection.
public struct PostgresLease: Sendable {
    /// The roles, each its own lock key (constants of our own; the migrator's key is another).
    public enum Role: Int64, Sendable {
        /// Runs the cluster's pre-generation jobs.
        case jobRunner = 0x766F_6963_656A_6F62  // "vvicejob"
        /// Evicts for the cluster's quota.
        case evictor = 0x766F_6963_6567_6376  // "vvicegcv"
    }

    let configuration: PostgresConnection.Configuration
    let role: Role
    let logger: Logger

    public init(catalog: CatalogURL, role: Role, logger: Logger) {
        configuration = catalog.connectionConfiguration
        self.role = role
        self.logger = logger
    }

    /// The role if no other node holds it; nil when one does. Never waits for it.
    public func take() async throws -> (any ClusterLease)? {
        let (connection, won) = try await SessionAdvisoryLock.connect(
            trying: .single(role.rawValue), configuration: configuration, logger: logger)
        guard won else {
            try? await connection.close()
            return nil
        }
        return HeldLease(connection: connection)
    }
}

/// A role this node holds: exactly as long as its connection lives.
final class HeldLease: ClusterLease {
    let connection: PostgresConnection
    private let released = Atomic<Bool>(false)

    init(connection: PostgresConnection) { self.connection = connection }

    var isHeld: Bool { !connection.isClosed }

    func release() async {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try? await connection.close()
    }
}
