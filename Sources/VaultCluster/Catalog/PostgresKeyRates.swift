import Logging
public import PostgresNIO

/// Each client key's request rate across a cluster (Docs/CLUSTER.md, "Money"): the same token bucket as one
/// node's (`TokenBucket`: a full minute's burst, refilled evenly), kept in `key_rates` and taken in one
/// statement that refills by the time elapsed and takes a token only when a whole one is there, under the row's
/// lock. Concurrent nodes serialise on the row, so the key's rate holds for the cluster, not per node.
/// PostgreSQL's clock (`clock_timestamp()`) is the only one used, so nodes' clocks may disagree.
public struct PostgresKeyRates: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Nil when the key may make this request; else whole seconds until its next token (at least 1).
    public func take(keyId: String, perMinute: Int) async throws -> Int? {
        let capacity = Double(max(1, perMinute))
        let perSecond = capacity / 60
        let taken =
            try await client.query(
                """
                INSERT INTO key_rates AS r (key_id, tokens, updated_at) VALUES (\(keyId), \(capacity) - 1, clock_timestamp())
                ON CONFLICT (key_id) DO UPDATE SET
                    tokens = least(\(capacity), r.tokens + extract(epoch FROM clock_timestamp() - r.updated_at) * \(perSecond)) - 1,
                    updated_at = clock_timestamp()
                WHERE least(\(capacity), r.tokens + extract(epoch FROM clock_timestamp() - r.updated_at) * \(perSecond)) >= 1 - 1e-9
                RETURNING tokens
                """, logger: logger
            ).collect().count == 1
        if taken { return nil }
        let rows = try await client.query(
            """
            SELECT least(\(capacity), tokens + extract(epoch FROM clock_timestamp() - updated_at) * \(perSecond))
            FROM key_rates WHERE key_id = \(keyId)
            """, logger: logger)
        var tokens = 0.0
        for try await value in rows.decode(Double.self) { tokens = value }
        return max(1, Int(((1 - tokens) / perSecond).rounded(.up)))
    }
}
