public import Foundation
import Testing

/// Several `voicevault serve` processes as one cluster, over the shared test PostgreSQL (a database of their
/// own) and the shared SeaweedFS (a prefix of their own), with one fake ElevenLabs behind them all. The nodes
/// start together, so their first start also shows that they migrate the catalog once.
public final class ClusterTestbed: @unchecked Sendable {
    /// The secret every node of a test cluster shares (the relay's credential derives from it).
    public static let signingSecret = "test-cluster-signing-secret-0123456789abcdef"

    public static let clientKey = VoiceTestbed.clientKey
    public let directory: TemporaryDirectory
    public let fake: ServerProcess
    public let nodes: [ServerProcess]
    public let catalogURL: String
    public let blobURL: String
    /// The key prefix of this cluster's blobs in the shared bucket `voicevault-cluster`.
    public var blobPrefix: String {
        String(blobURL.dropFirst("s3://voicevault-cluster/".count).prefix { $0 != "?" })
    }
    /// What every node's environment has, cluster settings included.
    public let environment: [String: String]
    /// With `proxied`, what stands between the nodes and PostgreSQL, and between them and the S3 store, for a
    /// test to cut (`CuttableProxy`).
    public let catalogProxy: CuttableProxy?
    public let blobProxy: CuttableProxy?

    /// - Parameters:
    ///   - catalogURL, blobPrefix: an existing cluster's catalog and blobs (a migration's), else new ones.
    public static func start(
        nodes count: Int, environment: [String: String] = [:], proxied: Bool = false, catalogURL existingCatalog: String? = nil,
        blobPrefix existingPrefix: String? = nil
    ) async throws -> ClusterTestbed {
        let postgres = try await PostgreSQL.shared()
        let catalogURL: String
        if let existingCatalog { catalogURL = existingCatalog } else { catalogURL = try await postgres.createDatabase() }
        let seaweed = try await SeaweedFS.shared()
        let catalogProxy = proxied ? try await CuttableProxy.start(to: postgres.port) : nil
        let blobProxy = proxied ? try await CuttableProxy.start(to: seaweed.s3Port) : nil
        let prefix = existingPrefix ?? UUID().uuidString.lowercased()
        let blobURL = "s3://voicevault-cluster/\(prefix)?endpoint=http://127.0.0.1:\(blobProxy?.port ?? seaweed.s3Port)"
        let nodesCatalogURL =
            catalogProxy.map { catalogURL.replacingOccurrences(of: ":\(postgres.port)/", with: ":\($0.port)/") } ?? catalogURL
        let fake = try await onOwnThread { try ServerProcess(executable: "fake-elevenlabs", arguments: ["--port", "0"]) }
        var env = [
            "ELEVENLABS_API_KEY": "fake-key", "ELEVENLABS_BASE_URL": fake.baseURL, "VOICEVAULT_API_KEYS": clientKey,
            "VOICEVAULT_UPSTREAM_RETRY_BASE_MS": "10", "VOICEVAULT_UPSTREAM_MAX_ATTEMPTS": "3",
            "VOICEVAULT_CATALOG_URL": nodesCatalogURL, "VOICEVAULT_BLOB_URL": blobURL,
            "VOICEVAULT_BLOB_ACCESS_KEY_ID": SeaweedFS.accessKeyID, "VOICEVAULT_BLOB_SECRET_ACCESS_KEY": SeaweedFS.secretAccessKey,
            "VOICEVAULT_SIGNING_SECRET": ClusterTestbed.signingSecret,
        ]
        env.merge(environment) { $1 }
        let directory = TemporaryDirectory("vv-cluster")
        let nodes = try await withThrowingTaskGroup(of: (Int, ServerProcess).self) { group in
            for number in 0..<count {
                group.addTask { [env] in
                    (
                        number,
                        try await onOwnThread {
                            try ServerProcess(
                                arguments: ["serve", "--port", "0", "--data-dir", directory.sub("node-\(number)")], environment: env)
                        }
                    )
                }
            }
            var started: [(Int, ServerProcess)] = []
            for try await node in group { started.append(node) }
            return started.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return ClusterTestbed(
            directory: directory, fake: fake, nodes: nodes, catalogURL: catalogURL, blobURL: blobURL, environment: env,
            catalogProxy: catalogProxy, blobProxy: blobProxy)
    }

    private init(
        directory: TemporaryDirectory, fake: ServerProcess, nodes: [ServerProcess], catalogURL: String, blobURL: String,
        environment: [String: String], catalogProxy: CuttableProxy?, blobProxy: CuttableProxy?
    ) {
        self.catalogProxy = catalogProxy
        self.blobProxy = blobProxy
        self.directory = directory
        self.fake = fake
        self.nodes = nodes
        self.catalogURL = catalogURL
        self.blobURL = blobURL
        self.environment = environment
    }

    public func dataDirectory(_ node: Int) -> String { directory.sub("node-\(node)") }

    public func post(_ body: String, to node: Int, timeout: Int64 = 60) async throws -> HTTPResult {
        try await httpRequest(
            "POST", nodes[node].baseURL + "/api/voice",
            headers: ["content-type": "application/json", "authorization": "Bearer \(Self.clientKey)"], body: body,
            timeout: .seconds(timeout))
    }

    public func upstreamCalls() async throws -> Int {
        let result = try await httpRequest("GET", fake.baseURL + "/_fake/calls")
        return (try JSONSerialization.jsonObject(with: Data(result.body.utf8)) as? [String: Any])?["total"] as? Int ?? -1
    }

    /// A test that failed before `stop` leaves no process behind (SIGKILL, without waiting).
    deinit {
        catalogProxy?.stop()
        blobProxy?.stop()
        for server in nodes + [fake] where server.isRunning { kill(server.process.processIdentifier, SIGKILL) }
    }

    /// How long a node may take to stop when asked: far more than a graceful stop takes.
    public static let stopLimit = Duration.seconds(30)

    /// Stops every node gracefully, and the fake at once (a scripted delay would hold its graceful shutdown),
    /// on threads of their own. Returns the nodes that did not stop by themselves within `stopLimit` (they were
    /// killed), which a test records as an issue.
    @discardableResult
    public func stop() async -> [Int] {
        let fake = fake
        let stuck = await withTaskGroup(of: Int?.self) { group in
            for (index, node) in nodes.enumerated() {
                group.addTask {
                    let stopped = (try? await onOwnThread { node.stop(within: ClusterTestbed.stopLimit) }) ?? false
                    return stopped ? nil : index
                }
            }
            group.addTask {
                _ = try? await onOwnThread { fake.terminate(signal: SIGKILL) }
                return nil
            }
            var stuck: [Int] = []
            for await index in group { if let index { stuck.append(index) } }
            return stuck.sorted()
        }
        if !stuck.isEmpty {
            let logs = stuck.map { "node \($0):\n\(nodes[$0].log.suffix(3_000))" }.joined(separator: "\n")
            Issue.record("nodes \(stuck) did not stop within \(Self.stopLimit) of SIGTERM and were killed\n\(logs)")
        }
        return stuck
    }
}
