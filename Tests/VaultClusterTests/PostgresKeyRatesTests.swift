import Foundation
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// A client key's request rate shared by every node: the catalog's token bucket.
@Suite struct PostgresKeyRatesTests {
    static let logger = Logger(label: "key-rates-test")

    /// Four nodes take 50 requests each, at once, for a key allowed 60 a minute: the cluster grants the key's
    /// minute (and what refilled meanwhile), never a minute per node.
    @Test func nodesShareOneBucketPerKey() async throws {
        let url = try await PostgreSQL.shared().createDatabase()
        try await withCatalog(url) { client, _ in _ = try await CatalogMigrator.migrate(client, logger: Self.logger) }
        let started = ContinuousClock.now
        let granted = try await withThrowingTaskGroup(of: Int.self) { nodes in
            for _ in 0..<4 {
                nodes.addTask {
                    try await withCatalog(url) { client, _ in
                        let rates = PostgresKeyRates(client: client, logger: Self.logger)
                        return try await withThrowingTaskGroup(of: Bool.self) { requests in
                            for _ in 0..<50 { requests.addTask { try await rates.take(keyId: "key_shared", perMinute: 60) == nil } }
                            var count = 0
                            for try await allowed in requests where allowed { count += 1 }
                            return count
                        }
                    }
                }
            }
            var total = 0
            for try await count in nodes { total += count }
            return total
        }
        let refilled = Int((ContinuousClock.now - started).seconds.rounded(.up))
        #expect(granted >= 60 && granted <= 60 + refilled, "granted \(granted) in \(refilled) s")
        try await withCatalog(url) { client, _ in
            let rates = PostgresKeyRates(client: client, logger: Self.logger)
            // Whatever refilled since is taken; then a refusal says when the next token comes (one a second).
            var retry: Int?
            for _ in 0..<100 where retry == nil { retry = try await rates.take(keyId: "key_shared", perMinute: 60) }
            #expect(retry == 1)
            // Another key has its own bucket: one a minute, so the next is most of a minute away.
            #expect(try await rates.take(keyId: "key_other", perMinute: 1) == nil)
            let wait = try #require(try await rates.take(keyId: "key_other", perMinute: 1))
            #expect(wait >= 50 && wait <= 60)
        }
    }
}
