import Foundation
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// Cluster nodes whose catalog or blob store goes away under load (a proxy in front of each engine, cut and
/// restored: every connection reset, new ones refused, as when the engine restarts). What a node holds is still
/// answered; everything that needs the missing engine answers 503 with its code and pays nothing; nothing is
/// recorded without its bytes; everything recovers when the engine is back.
@Suite struct ClusterFailureTests {
    static let logger = Logger(label: "cluster-failure-test")

    /// What every request of a mixed load answered: status and code.
    static func load(_ testbed: ClusterTestbed, warmPath: String, round: Int) async throws -> (
        hits: [Int], misses: [HTTPResult], cold: [Int]
    ) {
        try await withThrowingTaskGroup(of: (String, HTTPResult).self) { group in
            for request in 0..<10 {
                group.addTask {
                    ("hit", try await httpRequest("GET", testbed.nodes[0].baseURL + warmPath))
                }
                group.addTask {
                    let body = VoiceTestbed.requestBody(text: "Asked for while an engine is away, \(round)-\(request).", book: "away")
                    return ("miss", try await testbed.post(body, to: request % 2))
                }
                group.addTask {
                    ("cold", try await httpRequest("GET", testbed.nodes[1].baseURL + warmPath))
                }
            }
            var hits: [Int] = []
            var misses: [HTTPResult] = []
            var cold: [Int] = []
            for try await (kind, answer) in group {
                switch kind {
                case "hit": hits.append(answer.status)
                case "miss": misses.append(answer)
                default: cold.append(answer.status)
                }
            }
            return (hits, misses, cold)
        }
    }

    /// Every record the catalog holds names a blob the store holds, whole.
    static func everyRecordHasItsBlob(_ testbed: ClusterTestbed) async throws {
        let seaweed = try await SeaweedFS.shared()
        let blobs = S3BlobStore(
            location: S3Location(endpoint: seaweed.endpoint, bucket: "voicevault-cluster", prefix: testbed.blobPrefix),
            accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey, client: .shared)
        let records = try await withCatalog(testbed.catalogURL) { client, _ in
            var found: [(String, Int)] = []
            for try await row in try await client.query("SELECT blob_sha256, byte_size FROM assets", logger: Self.logger)
                .decode((String, Int).self)
            {
                found.append(row)
            }
            return found
        }
        #expect(!records.isEmpty)
        for (blob, size) in records {
            let digest = try #require(SHA256Digest(hex: blob))
            #expect(try await blobs.size(of: digest) == size, "blob \(blob)")
        }
    }

    @Test func theBlobStoreGoneUnderLoad() async throws {
        try await Self.engineGoneUnderLoad(\.blobProxy, answering: "blob_store_unavailable")
    }

    @Test func theCatalogGoneUnderLoad() async throws {
        try await Self.engineGoneUnderLoad(\.catalogProxy, answering: "catalog_unavailable")
    }

    /// One engine cut away under load, then back: held audio answered throughout, misses and cold downloads
    /// 503 with `code` and nothing paid, every record's blob present, everything answered again.
    static func engineGoneUnderLoad(_ engine: KeyPath<ClusterTestbed, CuttableProxy?>, answering code: String) async throws {
        let testbed = try await ClusterTestbed.start(nodes: 2, proxied: true)
        let proxy = try #require(testbed[keyPath: engine])
        let made = try await testbed.post(VoiceTestbed.requestBody(text: "Heard before \(code).", book: "warm"), to: 0)
        let path = try #require(json(made.body)["url"] as? String)
        #expect(try await httpRequest("GET", testbed.nodes[0].baseURL + path).status == 200)
        proxy.cut()
        // Each request has 30 s (`httpRequest`): one held by an engine that does not answer would fail the test.
        let away = try await Self.load(testbed, warmPath: path, round: 1)
        #expect(away.hits.allSatisfy { $0 == 200 }, "what a node holds is still answered: \(away.hits)")
        #expect(away.cold.allSatisfy { $0 == 503 }, "\(away.cold)")
        for miss in away.misses {
            #expect(miss.status == 503 && json(miss.body)["error"] as? String == code, "\(miss.body)")
        }
        #expect(try await testbed.upstreamCalls() == 1, "nothing is paid for that could not be claimed or stored")
        proxy.restore()
        // The catalog's pool reconnects on demand: the first miss after may still find its connections gone.
        try await waitUntil("a miss is answered again") {
            try await testbed.post(VoiceTestbed.requestBody(text: "After \(code) was over.", book: "back"), to: 1).status == 200
        }
        let back = try await Self.load(testbed, warmPath: path, round: 2)
        #expect((back.hits + back.cold).allSatisfy { $0 == 200 })
        #expect(back.misses.allSatisfy { $0.status == 200 }, "\(back.misses.map(\.body))")
        try await Self.everyRecordHasItsBlob(testbed)
        await testbed.stop()
        proxy.stop()
    }
}
