public import Logging
public import PostgresNIO
public import VaultCore
import Synchronization

/// One generation per content hash across the cluster (Docs/CLUSTER.md, "One generation per hash"): the node
/// that takes a hash's session advisory lock generates it; every other node learns which node holds it (its
/// `VOICEVAULT_NODE_URL`) and waits for the record that node shares.
///
/// Each flight holds a connection of its own, outside any pool, and ends by closing it. Closing releases the
/// lock without a query, so ending a flight works even when the connection is already dead, and a connection
/// that still holds a session lock never returns to a pool. A node that dies ends its connection with it, and
/// PostgreSQL releases the lock: at once when the process dies (the kernel closes the socket), within the
/// keepalive this connection asks for when the whole machine is gone.
///
/// Invariants: at most one open flight per hash in the whole cluster (PostgreSQL's lock); at most
/// `CatalogURL.connections` flight connections open per node (`FlightAllowance`; a claim past that waits for a
/// place, never for the lock itself: `pg_try_advisory_lock`); the `flights` row is written only by the lock's holder, so a
/// stale row (its holder died) is overwritten by the next winner and never blocks anyone.
public struct PostgresFlightLock: Sendable {
    let configuration: PostgresConnection.Configuration
    public let address: NodeAddress
    let logger: Logger
    let allowance: FlightAllowance

    /// - Parameter nodeURL: how other nodes reach this one (`VOICEVAULT_NODE_URL`), recorded with each flight.
    public init(catalog: CatalogURL, nodeURL: String, logger: Logger) {
        self.init(catalog: catalog, address: NodeAddress(nodeURL), logger: logger)
    }

    /// - Parameter address: this node's address, which may be settled only once it listens.
    public init(catalog: CatalogURL, address: NodeAddress, logger: Logger) {
        configuration = catalog.connectionConfiguration
        self.address = address
        self.logger = logger
        allowance = FlightAllowance(limit: catalog.connections)
    }

    /// Claims waiting for one of this node's flight connections (for tests and metrics).
    public var claimsWaiting: Int { get async { await allowance.waiting } }

    public enum Claim: Sendable {
        /// This node generates; end the flight when the asset is published or the generation failed.
        case won(HeldFlight)
        /// Another node generates: the address it recorded, or nil when it has not recorded one yet (claim
        /// again shortly).
        case heldElsewhere(nodeURL: String?)
    }

    /// Tries to take `hash`'s flight, never waiting for it.
    public func claim(_ hash: SHA256Digest) async throws -> Claim {
        await allowance.take()
        let keys = Self.lockKeys(hash)
        let (connection, won): (PostgresConnection, Bool)
        do {
            (connection, won) = try await SessionAdvisoryLock.connect(
                trying: .pair(keys.high, keys.low), configuration: configuration, logger: logger)
        } catch {
            await allowance.release()
            throw error
        }
        do {
            guard won else {
                let holder = try await Self.holder(of: hash, on: connection, logger: logger)
                try? await connection.close()
                await allowance.release()
                return .heldElsewhere(nodeURL: holder)
            }
            try await connection.query(
                """
                INSERT INTO flights (hash, node_url, started_at) VALUES (\(hash.hex), \(address.url), now())
                ON CONFLICT (hash) DO UPDATE SET node_url = excluded.node_url, started_at = excluded.started_at
                """, logger: logger)
            return .won(HeldFlight(hash: hash, connection: connection, allowance: allowance, logger: logger))
        } catch {
            try? await connection.close()
            await allowance.release()
            throw error
        }
    }

    /// The node recorded for `hash`'s flight, if any (the row may be stale; only a failed claim makes it
    /// meaningful).
    static func holder(of hash: SHA256Digest, on connection: PostgresConnection, logger: Logger) async throws -> String? {
        let rows = try await connection.query("SELECT node_url FROM flights WHERE hash = \(hash.hex)", logger: logger)
        for try await url in rows.decode(String.self) { return url }
        return nil
    }

    /// The two 32-bit keys of `hash`'s lock: its first eight bytes. The two-key form is a separate space from
    /// the single-key locks (the migrator's), so the two can never collide; two hashes sharing their first
    /// 64 bits would only share a flight's turn.
    static func lockKeys(_ hash: SHA256Digest) -> (high: Int32, low: Int32) {
        let bytes = hash.bytes
        func word(_ offset: Int) -> Int32 {
            Int32(
                bitPattern: UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
                    | UInt32(bytes[offset + 3]))
        }
        return (word(0), word(4))
    }

    private static let connectionIDs = Atomic<Int>(0)
    static func nextConnectionID() -> Int { connectionIDs.add(1, ordering: .relaxed).newValue }
}

/// A flight this node won: its lock lives exactly as long as its connection.
public final class HeldFlight: Sendable {
    public let hash: SHA256Digest
    let connection: PostgresConnection
    let allowance: FlightAllowance
    let logger: Logger
    private let ended = Atomic<Bool>(false)

    init(hash: SHA256Digest, connection: PostgresConnection, allowance: FlightAllowance, logger: Logger) {
        self.hash = hash
        self.connection = connection
        self.allowance = allowance
        self.logger = logger
    }

    /// Ends the flight: forgets its row (a courtesy; a stale row is harmless), closes the connection, which
    /// releases the lock, and gives its place in the node's allowance to the next claim. Returns promptly even
    /// when the connection is already dead; a second call does nothing.
    public func end() async {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if !connection.isClosed {
            try? await connection.query("DELETE FROM flights WHERE hash = \(hash.hex)", logger: logger)
        }
        try? await connection.close()
        await allowance.release()
    }

    /// False once PostgreSQL or the network ended the connection: the lock is gone, and another node may
    /// already be generating the same hash (publication stays first-writer-wins, so both are safe).
    public var isHeld: Bool { !connection.isClosed }
}
