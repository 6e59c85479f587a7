import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// `voicevault serve` as cluster nodes, each a real process over the shared PostgreSQL and SeaweedFS, with one
/// fake ElevenLabs behind them.
@Suite struct ClusterServeTests {
    static let voice = "21m00Tcm4TlvDq8ikWAM"
    static let admin = "cluster-admin-token"

    static func script(_ testbed: ClusterTestbed, _ actions: [String]) async throws {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["voiceId": voice, "actions": actions]), as: UTF8.self)
        #expect(try await httpRequest("POST", testbed.fake.baseURL + "/_fake/script", body: body).status == 200)
    }

    /// Two hundred identical misses spread over three nodes, while the one generation takes its time: one
    /// upstream call, every answer the same asset, and every node serves the same bytes.
    @Test func identicalMissesOverThreeNodesCostOneUpstreamCall() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 3)
        try await Self.script(testbed, ["latency:1500"])
        let text = "A chapter every listener asks for at the same moment."
        let hash = try VoiceTestbed.hash(text: text)
        let answers = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
            for request in 0..<200 {
                group.addTask {
                    try await testbed.post(VoiceTestbed.requestBody(text: text, book: "book-\(request % 3)"), to: request % 3)
                }
            }
            var all: [HTTPResult] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.allSatisfy { $0.status == 200 }, "\(answers.first { $0.status != 200 }?.body ?? "")")
        #expect(Set(answers.compactMap { json($0.body)["contentHash"] as? String }) == [hash])
        #expect(try await testbed.upstreamCalls() == 1)
        var bodies: Set<[UInt8]> = []
        for node in 0..<3 {
            let audio = try await httpRequest("GET", testbed.nodes[node].baseURL + "/audio/book-\(node)/\(hash).mp3")
            #expect(audio.status == 200)
            bodies.insert(audio.bytes)
        }
        #expect(bodies.count == 1)
        await testbed.stop()
    }

    /// A node that never answered for an asset serves its download from the cluster: the same bytes, the same
    /// ETag, ranges; a name the cluster does not have is still a 404.
    @Test func aColdNodeServesDownloadsFromTheCluster() async throws {
        let testbed = try await ClusterTestbed.start(
            nodes: 2, environment: ["VOICEVAULT_ADMIN_TOKEN": Self.admin, "VOICEVAULT_METRICS_PUBLIC": "true"])
        let text = "Generated on the first node only."
        let made = try await testbed.post(
            VoiceTestbed.requestBody(text: text, book: "novel", extra: #""chapterId":"ch-1","chapterIndex":3,"chapterTitle":"One""#), to: 0)
        #expect(made.status == 200, "\(made.body)")
        let path = try #require(json(made.body)["url"] as? String)
        // The book's manifest is the cluster's too, with what the generating request said about the chapter.
        let manifest = json(
            try await httpRequest(
                "GET", testbed.nodes[1].baseURL + "/api/books/novel", headers: ["authorization": "Bearer \(VoiceTestbed.clientKey)"]
            )
            .body)
        let chapter = (manifest["chapters"] as? [[String: Any]])?.first
        #expect(
            chapter?["chapterId"] as? String == "ch-1" && chapter?["chapterIndex"] as? Int == 3 && chapter?["title"] as? String == "One",
            "\(manifest)")
        // A listener's position saved through one node is read through the other.
        let auth = ["authorization": "Bearer \(VoiceTestbed.clientKey)", "content-type": "application/json"]
        let saved = try await httpRequest(
            "PUT", testbed.nodes[0].baseURL + "/api/books/novel/position", headers: auth,
            body: #"{"listener":"l-1","chapterId":"ch-1","char":5}"#)
        #expect(saved.status == 200, "\(saved.body)")
        let read = json(
            try await httpRequest("GET", testbed.nodes[1].baseURL + "/api/books/novel/position?listener=l-1", headers: auth).body)
        #expect(read["char"] as? Int == 5, "\(read)")
        // The admin API's views of audio are the cluster's, on a node that holds none of it.
        let books = json(
            try await httpRequest("GET", testbed.nodes[1].baseURL + "/admin/books", headers: ["authorization": "Bearer \(Self.admin)"]).body
        )
        let listed = (books["books"] as? [[String: Any]])?.first
        #expect(listed?["bookId"] as? String == "novel" && listed?["assets"] as? Int == 1, "\(books)")
        let madeHash = try VoiceTestbed.hash(text: text)
        let asset = try await httpRequest(
            "GET", testbed.nodes[1].baseURL + "/admin/assets/\(madeHash)", headers: ["authorization": "Bearer \(Self.admin)"])
        #expect(asset.status == 200, "\(asset.body)")
        let assets = json(
            try await httpRequest("GET", testbed.nodes[1].baseURL + "/admin/assets", headers: ["authorization": "Bearer \(Self.admin)"])
                .body)
        #expect((assets["assets"] as? [[String: Any]])?.count == 1, "\(assets)")
        let warm = try await httpRequest("GET", testbed.nodes[0].baseURL + path)
        let cold = try await httpRequest("GET", testbed.nodes[1].baseURL + path, headers: ["range": "bytes=100-199"])
        #expect(cold.status == 206 && cold.bytes == Array(warm.bytes[100...199]))
        #expect(cold.header("etag") == warm.header("etag") && cold.header("etag") != nil)
        let whole = try await httpRequest("GET", testbed.nodes[1].baseURL + path)
        #expect(whole.status == 200 && whole.bytes == warm.bytes)
        let hash = try VoiceTestbed.hash(text: text)
        #expect(try await httpRequest("GET", testbed.nodes[1].baseURL + "/audio/other-book/\(hash).mp3").status == 404)
        #expect(
            try await httpRequest("GET", testbed.nodes[1].baseURL + "/audio/novel/\(String(repeating: "0", count: 64)).mp3").status == 404)
        // The timings and the listen page are there too.
        #expect(try await httpRequest("GET", testbed.nodes[1].baseURL + "/listen/novel/\(hash)").status == 200)
        #expect(try await testbed.upstreamCalls() == 1)
        // Each node's metrics say what the whole cluster holds, beside the node's own cache.
        let metrics = try await httpRequest("GET", testbed.nodes[1].baseURL + "/metrics").body
        #expect(metrics.contains("voicevault_cluster_assets 1") && metrics.contains("voicevault_cluster_books 1"), "\(metrics.suffix(600))")
        let stats = json(
            try await httpRequest("GET", testbed.nodes[1].baseURL + "/admin/stats", headers: ["authorization": "Bearer \(Self.admin)"]).body
        )
        let cluster = stats["cluster"] as? [String: Any]
        #expect(cluster?["assets"] as? Int == 1 && cluster?["books"] as? Int == 1, "\(stats)")
        // The usage ledger is the cluster's: a hit on the second node and the first node's generation are
        // counted together, whichever node is asked.
        #expect(try await testbed.post(VoiceTestbed.requestBody(text: text, book: "novel"), to: 1).status == 200)
        try await waitUntil("each node's stats count the other's usage") {
            var agreed = true
            for node in 0..<2 {
                let usage = json(
                    try await httpRequest(
                        "GET", testbed.nodes[node].baseURL + "/admin/stats", headers: ["authorization": "Bearer \(Self.admin)"]
                    ).body)
                agreed = agreed && usage["generations"] as? Int == 1 && usage["hits"] as? Int == 1
            }
            return agreed
        }
        // An admin's delete through one node is the cluster's: gone from both, the warm copy included.
        let deleted = try await httpRequest(
            "DELETE", testbed.nodes[1].baseURL + "/admin/audio/\(hash)", headers: ["authorization": "Bearer \(Self.admin)"])
        #expect(deleted.status == 200, "\(deleted.body)")
        #expect(try await httpRequest("GET", testbed.nodes[1].baseURL + path).status == 404)
        try await waitUntil("the other node's copy is gone") {
            try await httpRequest("GET", testbed.nodes[0].baseURL + path).status == 404
        }
        await testbed.stop()
    }

    /// `VOICEVAULT_MAX_STORE_BYTES` on cluster nodes bounds the whole cluster, applied by the one evictor:
    /// with a limit below anything, every unpinned asset goes, from every node, while a book pinned through
    /// another node keeps its audio; `/admin/gc` and `/admin/pins` answer on any node.
    @Test func theClustersQuotaIsAppliedOnceForEveryNode() async throws {
        let testbed = try await ClusterTestbed.start(
            nodes: 2,
            environment: [
                "VOICEVAULT_ADMIN_TOKEN": Self.admin, "VOICEVAULT_MAX_STORE_BYTES": "1", "VOICEVAULT_QUOTA_INTERVAL_MS": "50",
            ])
        let admin = ["authorization": "Bearer \(Self.admin)"]
        #expect(try await httpRequest("PUT", testbed.nodes[1].baseURL + "/admin/books/keep/pin", headers: admin).status == 200)
        let pins = json(try await httpRequest("GET", testbed.nodes[0].baseURL + "/admin/pins", headers: admin).body)
        #expect((pins["pins"] as? [[String: Any]])?.first?["bookId"] as? String == "keep", "\(pins)")
        let kept = try await testbed.post(VoiceTestbed.requestBody(text: "Kept by its pinned book.", book: "keep"), to: 0)
        let dropped = try await testbed.post(VoiceTestbed.requestBody(text: "Evicted by the cluster's quota.", book: "drop"), to: 0)
        #expect(kept.status == 200 && dropped.status == 200)
        let droppedPath = try #require(json(dropped.body)["url"] as? String)
        let keptPath = try #require(json(kept.body)["url"] as? String)
        try await waitUntil("the cluster holds only the pinned audio") {
            let stats = json(try await httpRequest("GET", testbed.nodes[1].baseURL + "/admin/stats", headers: admin).body)
            return (stats["cluster"] as? [String: Any])?["assets"] as? Int == 1
        }
        #expect(try await httpRequest("GET", testbed.nodes[1].baseURL + droppedPath).status == 404)
        try await waitUntil("the generating node's copy is gone too") {
            try await httpRequest("GET", testbed.nodes[0].baseURL + droppedPath).status == 404
        }
        #expect(try await httpRequest("GET", testbed.nodes[1].baseURL + keptPath).status == 200)
        let gc = json(try await httpRequest("POST", testbed.nodes[1].baseURL + "/admin/gc?dryRun=true", headers: admin).body)
        #expect(gc["targetUnreachable"] as? Bool == true && (gc["evicted"] as? [String])?.isEmpty == true, "\(gc)")
        await testbed.stop()
    }

    /// Blobs in a shared store without the shared catalog are refused at start, naming what is missing.
    @Test func blobsWithoutTheCatalogAreRefusedAtStart() async throws {
        let directory = TemporaryDirectory("vv-refused")
        let result = try await ServerProcess.run(
            ["serve", "--port", "0", "--data-dir", directory.path],
            environment: ["VOICEVAULT_BLOB_URL": "s3://audio?endpoint=http://127.0.0.1:1"])
        #expect(result.status != 0)
        #expect(result.output.contains("VOICEVAULT_CATALOG_URL"), "\(result.output)")
    }

    /// A node whose cache holds nothing for long (`VOICEVAULT_BLOB_CACHE_MIB=0`) answers every download from the
    /// cluster exactly as a warm one would: ranges, several ranges, conditionals; and asks upstream nothing.
    @Test func aNodeWithoutACacheAnswersEveryDownloadFromTheCluster() async throws {
        let testbed = try await ClusterTestbed.start(
            nodes: 1, environment: ["VOICEVAULT_BLOB_CACHE_MIB": "0", "VOICEVAULT_QUOTA_INTERVAL_MS": "20"])
        let made = try await testbed.post(VoiceTestbed.requestBody(text: "Evicted as soon as it is made.", book: "cold"), to: 0)
        #expect(made.status == 200, "\(made.body)")
        let path = try #require(json(made.body)["url"] as? String)
        let audio = testbed.dataDirectory(0) + "/audio"
        try await waitUntil("the node's own copy is evicted") {
            ((try? FileManager.default.subpathsOfDirectory(atPath: audio)) ?? []).allSatisfy { !$0.hasSuffix(".mp3") }
        }
        let whole = try await httpRequest("GET", testbed.nodes[0].baseURL + path)
        #expect(whole.status == 200)
        let bytes = whole.bytes
        let etag = try #require(whole.header("etag"))
        for (range, expected) in [("bytes=0-99", Array(bytes[0...99])), ("bytes=-50", Array(bytes[(bytes.count - 50)...]))] {
            let part = try await httpRequest("GET", testbed.nodes[0].baseURL + path, headers: ["range": range])
            #expect(part.status == 206 && part.bytes == expected, "\(range) \(part.status) \(part.body.prefix(300))")
        }
        let several = try await httpRequest("GET", testbed.nodes[0].baseURL + path, headers: ["range": "bytes=0-9,20-29"])
        #expect(several.status == 206 && several.header("content-type")?.hasPrefix("multipart/byteranges") == true)
        #expect(try await httpRequest("GET", testbed.nodes[0].baseURL + path, headers: ["if-none-match": etag]).status == 304)
        #expect(try await httpRequest("GET", testbed.nodes[0].baseURL + path, headers: ["range": "bytes=999999-"]).status == 416)
        let again = try await testbed.post(VoiceTestbed.requestBody(text: "Evicted as soon as it is made.", book: "cold"), to: 0)
        #expect(again.status == 200 && again.header("x-cache") == "HIT")
        #expect(try await testbed.upstreamCalls() == 1)
        await testbed.stop()
    }

    /// The node generating a hash is SIGKILLed mid-generation: its claim dies with its catalog connection, a
    /// node whose request was waiting for it takes the generation over, and that request is answered.
    @Test func aNodeKilledMidGenerationDoesNotStrandAnotherNodesWaiter() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 2, environment: ["VOICEVAULT_METRICS_PUBLIC": "true"])
        // The first call upstream takes far longer than the test; the next is answered at once.
        try await Self.script(testbed, ["latency:120000"])
        let text = "The node that started this chapter will not finish it."
        let doomed = Task { try? await testbed.post(VoiceTestbed.requestBody(text: text, book: "a"), to: 0, timeout: 150) }
        try await waitUntil("the first node is generating") { try await testbed.upstreamCalls() == 1 }
        let waiter = Task { try await testbed.post(VoiceTestbed.requestBody(text: text, book: "b"), to: 1, timeout: 60) }
        try await waitUntil("the second node's request waits on the first node's claim") {
            try await httpRequest("GET", testbed.nodes[1].baseURL + "/metrics").body.contains("voicevault_flights_in_progress 1")
        }
        kill(testbed.nodes[0].process.processIdentifier, SIGKILL)
        let answer = try await waiter.value
        #expect(answer.status == 200, "\(answer.body)")
        #expect(json(answer.body)["contentHash"] as? String == (try VoiceTestbed.hash(text: text)))
        #expect(try await testbed.upstreamCalls() == 2, "paid twice: once by the node that died")
        _ = await doomed.value
        await testbed.stop()
    }

    /// Three nodes behind nginx (round robin), as a deployment runs them: 200 identical misses through it are one
    /// upstream call, and every download through it is the same bytes whichever node answers.
    @Test func threeNodesBehindNginx() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 3)
        let nginx = try await NginxBalancer.start(inFrontOf: testbed.nodes.map(\.port))
        try await Self.script(testbed, ["latency:1000"])
        let text = "A chapter asked for through the load balancer."
        let answers = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
            for request in 0..<200 {
                group.addTask {
                    try await httpRequest(
                        "POST", nginx.baseURL + "/api/voice",
                        headers: ["content-type": "application/json", "authorization": "Bearer \(ClusterTestbed.clientKey)"],
                        body: VoiceTestbed.requestBody(text: text, book: "book-\(request % 4)"), timeout: .seconds(60))
                }
            }
            var all: [HTTPResult] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.allSatisfy { $0.status == 200 }, "\(answers.first { $0.status != 200 }?.body ?? "")")
        #expect(try await testbed.upstreamCalls() == 1)
        let first = try #require(answers.first)
        let path = try #require(json(first.body)["url"] as? String)
        var bodies: Set<[UInt8]> = []
        for _ in 0..<6 {
            let audio = try await httpRequest("GET", nginx.baseURL + path, headers: ["range": "bytes=0-4095"])
            #expect(audio.status == 206)
            bodies.insert(audio.bytes)
        }
        #expect(bodies.count == 1)
        nginx.stop()
        await testbed.stop()
    }

    /// A key's `requestsPerMinute` is the cluster's: asking two nodes does not double it.
    @Test func aKeysRateHoldsAcrossNodes() async throws {
        let directory = TemporaryDirectory("vv-keys")
        let keysFile = directory.sub("keys.json")
        try #"{"keys": [{"name": "rated", "key": "rated-key-0123456789", "requestsPerMinute": 6}]}"#
            .write(toFile: keysFile, atomically: true, encoding: .utf8)
        let testbed = try await ClusterTestbed.start(nodes: 2, environment: ["VOICEVAULT_API_KEYS_FILE": keysFile])
        let body = VoiceTestbed.requestBody(text: "Asked for again and again by one key.")
        var statuses: [Int] = []
        let started = ContinuousClock.now
        for request in 0..<10 {
            let answer = try await httpRequest(
                "POST", testbed.nodes[request % 2].baseURL + "/api/voice",
                headers: ["content-type": "application/json", "authorization": "Bearer rated-key-0123456789"], body: body)
            statuses.append(answer.status)
            if answer.status == 429 {
                #expect(answer.header("retry-after") != nil && json(answer.body)["error"] as? String == "rate_limited")
            }
        }
        // Six a minute for the key, whichever node it asks, and one more for every ten seconds the run took.
        let refilled = Int(((ContinuousClock.now - started).seconds / 10).rounded(.up))
        let allowed = statuses.filter { $0 == 200 }.count
        #expect(allowed >= 6 && allowed <= 6 + refilled, "\(statuses)")
        #expect(statuses.allSatisfy { [200, 429].contains($0) })
        await testbed.stop()
    }
}
