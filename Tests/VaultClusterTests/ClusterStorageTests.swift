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

    /// The generated `audio` bucket on cluster nodes is the cluster's: audio made through one node is listed,
    /// downloaded (by range too) and copied through another, a copy into another book or into an uploaded bucket
    /// names the same bytes, and a removal through one node is gone from all.
    @Test func theGeneratedAudioBucketIsTheClusters() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 3)
        let auth = ["authorization": "Bearer \(ClusterTestbed.clientKey)"]
        let json = auth.merging(["content-type": "application/json"]) { $1 }
        let made = try await testbed.post(VoiceTestbed.requestBody(text: "Audio the Storage API shows.", book: "book-1"), to: 0)
        #expect(made.status == 200, "\(made.body)")
        let hash = try VoiceTestbed.hash(text: "Audio the Storage API shows.")
        let original = try await httpRequest("GET", testbed.nodes[0].baseURL + "/audio/book-1/\(hash).mp3")
        let node1 = testbed.nodes[1].baseURL
        let books = try await httpRequest("POST", node1 + "/storage/v1/object/list/audio", headers: json, body: #"{"prefix":""}"#)
        #expect(books.status == 200 && books.body.contains(#""name":"book-1""#), "\(books.body)")
        let inBook = try await httpRequest("POST", node1 + "/storage/v1/object/list/audio", headers: json, body: #"{"prefix":"book-1"}"#)
        #expect(inBook.body.contains("\(hash).mp3"), "\(inBook.body)")
        let whole = try await httpRequest("GET", node1 + "/storage/v1/object/public/audio/book-1/\(hash).mp3")
        #expect(whole.status == 200 && whole.bytes == original.bytes && whole.header("etag") == original.header("etag"))
        let ranged = try await httpRequest(
            "GET", testbed.nodes[2].baseURL + "/storage/v1/object/audio/book-1/\(hash).mp3",
            headers: auth.merging(["range": "bytes=10-99"]) { $1 })
        #expect(ranged.status == 206 && ranged.bytes == Array(original.bytes[10...99]))
        // Copied into another book through node 1: node 0 serves it there.
        let copied = try await httpRequest(
            "POST", node1 + "/storage/v1/object/copy", headers: json,
            body: #"{"bucketId":"audio","sourceKey":"book-1/\#(hash).mp3","destinationKey":"book-2/\#(hash).mp3"}"#)
        #expect(copied.status == 200, "\(copied.body)")
        #expect(try await httpRequest("GET", testbed.nodes[0].baseURL + "/audio/book-2/\(hash).mp3").bytes == original.bytes)
        // Into an uploaded bucket through node 2: the same blob, no bytes copied.
        #expect(try await httpRequest("POST", node1 + "/storage/v1/bucket", headers: json, body: #"{"id":"kept"}"#).status == 200)
        let kept = try await httpRequest(
            "POST", testbed.nodes[2].baseURL + "/storage/v1/object/copy", headers: json,
            body: #"{"bucketId":"audio","sourceKey":"book-1/\#(hash).mp3","destinationKey":"chapter.mp3","destinationBucket":"kept"}"#)
        #expect(kept.status == 200, "\(kept.body)")
        #expect(
            try await httpRequest("GET", testbed.nodes[0].baseURL + "/storage/v1/object/kept/chapter.mp3", headers: auth).bytes
                == original.bytes)
        // Removed from book-1 through node 0: gone from node 1's bucket, and from /audio on node 2.
        let removed = try await httpRequest(
            "DELETE", testbed.nodes[0].baseURL + "/storage/v1/object/audio/book-1/\(hash).mp3", headers: auth)
        #expect(removed.status == 200, "\(removed.body)")
        let gone = try await httpRequest("GET", node1 + "/storage/v1/object/public/audio/book-1/\(hash).mp3")
        #expect([400, 404].contains(gone.status), "\(gone.status) \(gone.body)")
        // Node 2 held a copy in book-1 (it served the range): it drops that link when the catalog's notice comes.
        try await waitUntil("node 2 dropped its book-1 link", timeout: .seconds(30)) {
            try await httpRequest("GET", testbed.nodes[2].baseURL + "/audio/book-1/\(hash).mp3").status == 404
        }
        #expect(try await httpRequest("GET", testbed.nodes[2].baseURL + "/audio/book-2/\(hash).mp3").status == 200)
        #expect(try await testbed.upstreamCalls() == 1)
        await testbed.stop()
    }
}
