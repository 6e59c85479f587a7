import Foundation
import Logging
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// Supabase Storage's REST surface on cluster nodes (`voicevault serve` processes over the shared PostgreSQL
/// and SeaweedFS), driven by the official storage3 client through nginx and node by node.
@Suite struct ClusterStorageTests {
    static func blobStore(_ testbed: ClusterTestbed) async throws -> S3BlobStore {
        let seaweed = try await SeaweedFS.shared()
        return S3BlobStore(
            location: S3Location(endpoint: seaweed.endpoint, bucket: "voicevault-cluster", prefix: testbed.blobPrefix),
            accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey, client: .shared)
    }

    /// What one node writes, every node reads, lists, signs, copies and removes, and a resumable upload begun
    /// through one node is finished through another (`Tests/storage3/cluster_storage3.py` says each check); once
    /// every object is gone, so is every blob they and the upload's parts named.
    @Test func storage3WorksAcrossNodesAndThroughNginx() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 3)
        let nginx = try await NginxBalancer.start(inFrontOf: testbed.nodes.map(\.port))
        let root = TestPaths.repositoryRoot
        let python = root.appendingPathComponent(".build/venv-storage3/bin/python").path
        let script = root.appendingPathComponent("Tests/storage3/cluster_storage3.py").path
        var environment = ProcessInfo.processInfo.environment
        environment["VV_BALANCER"] = nginx.baseURL
        environment["VV_NODES"] = testbed.nodes.map(\.baseURL).joined(separator: ",")
        environment["VV_KEY"] = ClusterTestbed.clientKey
        let run = try await Task.detached { try runToCompletion(python, [script], environment: environment) }.value
        #expect(run.status == 0, "\(run.output.suffix(3_000))")
        #expect(run.output.contains("all checks held"))
        #expect(try await Self.blobStore(testbed).list().isEmpty, "every object went, and every blob with it")
        nginx.stop()
        await testbed.stop()
    }

    /// The S3 protocol keeps its multipart uploads in a data directory, and the audio bucket would list one
    /// node's copies: refused with a code that says so, not served from one node.
    @Test func whatClusterNodesDoNotServeYetIsRefusedWithACode() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 1)
        let node = testbed.nodes[0].baseURL
        let auth = ["authorization": "Bearer \(ClusterTestbed.clientKey)"]
        let s3 = try await httpRequest("GET", node + "/storage/v1/s3", headers: auth)
        #expect(s3.status == 501 && json(s3.body)["error"] as? String == "not_yet_on_cluster_nodes", "\(s3.body)")
        let audio = try await httpRequest("POST", node + "/storage/v1/object/list/audio", headers: auth, body: "{}")
        #expect(audio.status == 404 || audio.status == 501, "\(audio.body)")
        let buckets = try await httpRequest("GET", node + "/storage/v1/bucket", headers: auth)
        #expect(buckets.status == 200 && buckets.body == "[]", "\(buckets.body)")
        await testbed.stop()
    }
}
