import Foundation
import Logging
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// Supabase Storage's REST surface on cluster nodes (`voicevault serve` processes over the shared PostgreSQL
/// and SeaweedFS), driven by the official storage3 client through nginx and node by node.
@Suite struct ClusterStorageTests {
    static let s3ID = "cluster-s3-access"
    static let s3Secret = "cluster-s3-secret-0123456789"

    static func blobStore(_ testbed: ClusterTestbed) async throws -> S3BlobStore {
        let seaweed = try await SeaweedFS.shared()
        return S3BlobStore(
            location: S3Location(endpoint: seaweed.endpoint, bucket: "voicevault-cluster", prefix: testbed.blobPrefix),
            accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey, client: .shared)
    }

    /// What one node writes, every node reads, lists, signs, copies and removes; a resumable upload begun through
    /// one node is finished through another; an S3 multipart upload's parts go to different nodes and it is
    /// completed through a third (`Tests/storage3/cluster_storage3.py` says each check, with storage3, tuspy and
    /// boto3); once every object is gone, so is every blob they and the uploads' parts named.
    @Test func storage3WorksAcrossNodesAndThroughNginx() async throws {
        let testbed = try await ClusterTestbed.start(
            nodes: 3, environment: ["VOICEVAULT_S3_ACCESS_KEY_ID": Self.s3ID, "VOICEVAULT_S3_SECRET_ACCESS_KEY": Self.s3Secret])
        let nginx = try await NginxBalancer.start(inFrontOf: testbed.nodes.map(\.port))
        let root = TestPaths.repositoryRoot
        let python = root.appendingPathComponent(".build/venv-storage3/bin/python").path
        let script = root.appendingPathComponent("Tests/storage3/cluster_storage3.py").path
        var environment = ProcessInfo.processInfo.environment
        environment["VV_BALANCER"] = nginx.baseURL
        environment["VV_NODES"] = testbed.nodes.map(\.baseURL).joined(separator: ",")
        environment["VV_KEY"] = ClusterTestbed.clientKey
        environment["VV_S3_ID"] = Self.s3ID
        environment["VV_S3_SECRET"] = Self.s3Secret
        let run = try await Task.detached { try runToCompletion(python, [script], environment: environment) }.value
        #expect(run.status == 0, "\(run.output.suffix(3_000))")
        #expect(run.output.contains("all checks held"))
        #expect(try await Self.blobStore(testbed).list().isEmpty, "every object went, and every blob with it")
        nginx.stop()
        await testbed.stop()
    }

    /// The audio bucket would list one node's copies: a cluster node does not offer it (every asset is served by
    /// `/audio`), and its bucket list holds only the cluster's own buckets.
    @Test func theGeneratedAudioBucketIsNotOfferedByClusterNodes() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 1)
        let node = testbed.nodes[0].baseURL
        let auth = ["authorization": "Bearer \(ClusterTestbed.clientKey)"]
        let audio = try await httpRequest("POST", node + "/storage/v1/object/list/audio", headers: auth, body: "{}")
        #expect(audio.status == 404, "\(audio.body)")
        let buckets = try await httpRequest("GET", node + "/storage/v1/bucket", headers: auth)
        #expect(buckets.status == 200 && buckets.body == "[]", "\(buckets.body)")
        await testbed.stop()
    }
}
