import AsyncHTTPClient
import Foundation
import Synchronization
import Logging
import NIOCore
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// Listeners on every node hear a generation as it is made: the node that waits for another node's claim
/// relays that node's live generation to its own listeners (`GET /cluster/v1/live/{hash}`), over real
/// `serve` processes.
@Suite struct ClusterRelayTests {
    static let voice = ClusterServeTests.voice
    static let logger = Logger(label: "cluster-relay-test")

    /// A request through the ElevenLabs door (its streaming endpoint, or with `streaming` false the one that
    /// answers the whole), its body as it arrives: `onFirstBytes` runs when the first audio comes, before the
    /// rest is read.
    static func stream(
        _ text: String, from node: ServerProcess, streaming: Bool = true,
        onFirstBytes: @escaping @Sendable () async throws -> Void = {}
    ) async throws -> (status: Int, bytes: [UInt8]) {
        var request = HTTPClientRequest(url: node.baseURL + "/v1/text-to-speech/\(voice)" + (streaming ? "/stream" : ""))
        request.method = .POST
        request.headers.add(name: "xi-api-key", value: ClusterTestbed.clientKey)
        request.headers.add(name: "content-type", value: "application/json")
        let body = try JSONSerialization.data(withJSONObject: ["text": text, "model_id": "eleven_multilingual_v2"])
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        var bytes: [UInt8] = []
        for try await slice in response.body {
            if bytes.isEmpty, slice.readableBytes > 0 { try await onFirstBytes() }
            bytes += slice.readableBytesView
        }
        return (Int(response.status.code), bytes)
    }

    /// Assets the cluster's catalog holds (this test's database holds only this test's).
    static func sharedAssets(_ testbed: ClusterTestbed) async throws -> Int {
        let client = PostgresClient(
            configuration: try CatalogURL(parsing: testbed.catalogURL).clientConfiguration, backgroundLogger: logger)
        return try await client.whileRunning {
            let rows = try await client.query("SELECT count(*)::int FROM assets", logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    /// Node 0 generates a long chapter, which the fake holds after its first piece; a listener on node 1 asks
    /// for it meanwhile and hears its first audio while the generation is held (the catalog has no record of it
    /// yet, so it cannot have come from the cluster's store), then, once released, every byte node 0's own
    /// listener heard. One upstream call. (A fixed 6 s latency here failed on a loaded machine.)
    @Test func aListenerOnAWaitingNodeHearsTheStreamAsItIsMade() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 2)
        try await ClusterServeTests.script(testbed, ["hold"])
        let text = String(repeating: "A long chapter, read aloud while it is still being made. ", count: 12)
        let leader = Task { try await Self.stream(text, from: testbed.nodes[0]) }
        try await waitUntil("node 0 is generating") { try await testbed.upstreamCalls() == 1 }
        let sharedWhenFirstHeard = SharedCount()
        let listener = try await Self.stream(text, from: testbed.nodes[1]) {
            sharedWhenFirstHeard.set(try await Self.sharedAssets(testbed))
            _ = try await httpRequest("POST", testbed.fake.baseURL + "/_fake/release")
        }
        let leading = try await leader.value
        #expect(leading.status == 200 && listener.status == 200)
        #expect(sharedWhenFirstHeard.value == 0, "node 1's first audio came before the generation was shared")
        #expect(!listener.bytes.isEmpty && listener.bytes == leading.bytes)
        #expect(try await testbed.upstreamCalls() == 1)
        // Node 1 kept what it heard: the same asset, answered from its own store.
        let again = try await Self.stream(text, from: testbed.nodes[1])
        #expect(again.bytes == leading.bytes)
        #expect(try await testbed.upstreamCalls() == 1)
        await testbed.stop()
    }

    /// When the holder cannot be reached at the address it recorded (here every node records a dead one), a
    /// waiting node follows the catalog instead, and its streaming listener still gets the whole audio, from
    /// the store once the generation is shared.
    @Test func aHolderOutOfReachIsFollowedThroughTheCatalog() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 2, environment: ["VOICEVAULT_NODE_URL": "http://127.0.0.1:1"])
        try await ClusterServeTests.script(testbed, ["latency:1500"])
        let text = "Followed through the catalog when the relay cannot reach the holder."
        let leader = Task { try await Self.stream(text, from: testbed.nodes[0]) }
        try await waitUntil("node 0 is generating") { try await testbed.upstreamCalls() == 1 }
        let listener = try await Self.stream(text, from: testbed.nodes[1])
        let leading = try await leader.value
        #expect(listener.status == 200 && !listener.bytes.isEmpty && listener.bytes == leading.bytes)
        #expect(try await testbed.upstreamCalls() == 1)
        await testbed.stop()
    }

    /// The generating node dies after a listener on another node heard part of its audio: that listener's
    /// stream is cut (as the dead node's own listeners' are), and a request on that node waiting for the whole
    /// is answered anyway: it takes a new turn, and its node generates.
    @Test func aWaiterOnARelayingNodeIsAnsweredWhenTheHolderDies() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 2, environment: ["VOICEVAULT_METRICS_PUBLIC": "true"])
        try await ClusterServeTests.script(testbed, ["latency:60000"])
        let text = String(repeating: "A chapter whose first reader's node will not finish it. ", count: 10)
        let doomed = Task { try? await Self.stream(text, from: testbed.nodes[0]) }
        try await waitUntil("node 0 is generating") { try await testbed.upstreamCalls() == 1 }
        let heard = Gate()
        let listener = Task { () -> Bool in
            do {
                _ = try await Self.stream(text, from: testbed.nodes[1]) { heard.open() }
                return true
            } catch {
                return false
            }
        }
        await heard.wait()
        // A request for the whole, joining node 1's relayed generation beside the listener.
        let waiter = Task { try await Self.stream(text, from: testbed.nodes[1], streaming: false) }
        try await waitUntil("the waiter joined node 1's generation") {
            try await httpRequest("GET", testbed.nodes[1].baseURL + "/metrics").body.contains("voicevault_flight_waiters 2")
        }
        kill(testbed.nodes[0].process.processIdentifier, SIGKILL)
        #expect(await listener.value == false, "the listener's stream is cut, never passed off as whole")
        let whole = try await waiter.value
        #expect(whole.status == 200 && !whole.bytes.isEmpty)
        #expect(try await testbed.upstreamCalls() == 2, "paid twice: once by the node that died")
        _ = await doomed.value
        await testbed.stop()
    }

    /// Only nodes may follow a generation: no credential or another one is 401; the right one for a hash the
    /// node is not generating is 404; neither starts or reveals anything.
    @Test func theRelayRouteAnswersOnlyTheClustersNodes() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 1)
        let url = testbed.nodes[0].baseURL + "/cluster/v1/live/" + SHA256Digest.of("nothing here").hex
        let credential = RelayCredential.derive(fromSigningSecret: Array(ClusterTestbed.signingSecret.utf8))
        let none = try await httpRequest("GET", url)
        #expect(none.status == 401 && none.body.contains("relay_refused"))
        let client = try await httpRequest("GET", url, headers: ["authorization": "Bearer \(ClusterTestbed.clientKey)"])
        #expect(client.status == 401, "a client key is not a node's credential")
        let other = RelayCredential.derive(fromSigningSecret: Array("another cluster's secret".utf8))
        #expect(try await httpRequest("GET", url, headers: ["authorization": "Bearer \(other)"]).status == 401)
        let idle = try await httpRequest("GET", url, headers: ["authorization": "Bearer \(credential)"])
        #expect(idle.status == 404 && idle.body.contains("not_generating_here"))
        let bad = try await httpRequest(
            "GET", testbed.nodes[0].baseURL + "/cluster/v1/live/not-a-hash", headers: ["authorization": "Bearer \(credential)"])
        #expect(bad.status == 400)
        #expect(try await testbed.upstreamCalls() == 0)
        await testbed.stop()
    }
}

/// A count a callback sets once, read after.
final class SharedCount: Sendable {
    private let stored = Mutex<Int?>(nil)
    func set(_ count: Int) { stored.withLock { $0 = count } }
    var value: Int? { stored.withLock { $0 } }
}
