import Foundation
import Logging
import Testing
import VaultCore
import VaultTestSupport

/// `voicevault migrate` into a cluster and back out, with real processes: every asset answers identically on
/// the other side (its record, bytes, ETag and timings), nothing is generated again, and a second run copies
/// nothing.
@Suite struct ClusterMigrateTests {
    struct Answers: Equatable {
        var records: [String] = []
        var audio: [[UInt8]] = []
        var etags: [String] = []
        var timings: [String] = []
    }

    static func answers(_ baseURL: String, hashes: [(book: String, hash: String)]) async throws -> Answers {
        var answers = Answers()
        for (book, hash) in hashes {
            answers.records.append(try await httpRequest("GET", baseURL + "/api/voice/\(hash)").body)
            let audio = try await httpRequest("GET", baseURL + "/audio/\(book)/\(hash).mp3")
            #expect(audio.status == 200)
            answers.audio.append(audio.bytes)
            answers.etags.append(audio.header("etag") ?? "")
            answers.timings.append(try await httpRequest("GET", baseURL + "/api/voice/\(hash)/alignment").body)
        }
        return answers
    }

    /// A Storage object as a client sees it: its bytes, ETag, type and cache control, and its info.
    static func objectAnswers(_ baseURL: String, keys: [String]) async throws -> [String] {
        var answers: [String] = []
        for key in keys {
            let object = try await httpRequest(
                "GET", baseURL + "/storage/v1/object/carried/\(key)", headers: ["authorization": "Bearer \(VoiceTestbed.clientKey)"])
            #expect(object.status == 200, "\(key): \(object.body)")
            let info = try await httpRequest(
                "GET", baseURL + "/storage/v1/object/info/carried/\(key)", headers: ["authorization": "Bearer \(VoiceTestbed.clientKey)"])
            answers.append(
                [
                    SHA256Digest.of(object.bytes).hex, object.header("etag") ?? "", object.header("content-type") ?? "",
                    object.header("cache-control") ?? "", info.body,
                ].joined(separator: " | "))
        }
        let bucket = try await httpRequest(
            "GET", baseURL + "/storage/v1/bucket/carried", headers: ["authorization": "Bearer \(VoiceTestbed.clientKey)"])
        return answers + [bucket.body]
    }

    static let admin = "migrate-admin-token"

    /// What the usage ledger says through `/admin/stats`: its counts and each asset's hits (`/admin/assets/{hash}`).
    static func usage(_ baseURL: String) async throws -> String {
        let headers = ["authorization": "Bearer \(admin)"]
        let stats = json(try await httpRequest("GET", baseURL + "/admin/stats", headers: headers).body)
        var lines = [
            "generations \(stats["generations"] as? Int ?? -1), hits \(stats["hits"] as? Int ?? -1), misses \(stats["misses"] as? Int ?? -1)"
        ]
        let assets = json(try await httpRequest("GET", baseURL + "/admin/assets", headers: headers).body)
        for asset in (assets["assets"] as? [[String: Any]] ?? []).compactMap({ $0["contentHash"] as? String }).sorted() {
            let one = json(try await httpRequest("GET", baseURL + "/admin/assets/\(asset)", headers: headers).body)
            lines.append("\(asset): \(one["hits"] as? Int ?? -1) hits")
        }
        return lines.joined(separator: "\n")
    }

    /// Both books' manifests, as a client sees them.
    static func manifest(_ baseURL: String) async throws -> String {
        var answers: [String] = []
        for book in ["book-1", "book-2"] {
            answers.append(
                try await httpRequest(
                    "GET", baseURL + "/api/books/\(book)", headers: ["authorization": "Bearer \(VoiceTestbed.clientKey)"]
                ).body)
        }
        return answers.joined(separator: "\n")
    }

    @Test func intoAClusterAndBackOutEveryAssetAnswersIdentically() async throws {
        // An embedded server makes three answers: one chapter in two books, another in one.
        let embedded = try VoiceTestbed(environment: ["VOICEVAULT_ADMIN_TOKEN": Self.admin])
        let first = "The first chapter, kept in two books."
        let second = "The second chapter."
        for (text, book, extra) in [
            (first, "book-1", #""chapterId":"ch-1","chapterIndex":1,"chapterTitle":"One""#), (first, "book-2", ""),
            (second, "book-1", #""chapterId":"ch-2""#),
        ] {
            #expect(try await embedded.post(VoiceTestbed.requestBody(text: text, book: book, extra: extra)).status == 200)
        }
        let hashes = [
            ("book-1", try VoiceTestbed.hash(text: first)), ("book-2", try VoiceTestbed.hash(text: first)),
            ("book-1", try VoiceTestbed.hash(text: second)),
        ]
        let before = try await Self.answers(embedded.server.baseURL, hashes: hashes)
        // And Storage: a bucket with settings, two objects (one with metadata), which cross as they are.
        let auth = ["authorization": "Bearer \(VoiceTestbed.clientKey)"]
        let made = try await httpRequest(
            "POST", embedded.server.baseURL + "/storage/v1/bucket", headers: auth.merging(["content-type": "application/json"]) { $1 },
            body: #"{"id":"carried","public":true,"file_size_limit":1000000}"#)
        #expect(made.status == 200, "\(made.body)")
        let objectKeys = ["covers/front.png", "notes.txt"]
        for (key, type) in zip(objectKeys, ["image/png", "text/plain"]) {
            let stored = try await httpRequest(
                "POST", embedded.server.baseURL + "/storage/v1/object/carried/\(key)",
                headers: auth.merging(["content-type": type, "cache-control": "max-age=60", "x-metadata": "eyJhIjoiYiJ9"]) { $1 },
                body: "bytes of \(key) " + String(repeating: "x", count: 5_000))
            #expect(stored.status == 200, "\(stored.body)")
        }
        let objectsBefore = try await Self.objectAnswers(embedded.server.baseURL, keys: objectKeys)
        let usageBefore = try await Self.usage(embedded.server.baseURL)
        let manifestBefore = try await Self.manifest(embedded.server.baseURL)
        #expect(manifestBefore.contains(#""chapterTitle":"One""#) || manifestBefore.contains(#""title":"One""#), "\(manifestBefore)")
        #expect(usageBefore.contains("generations 2, hits 1"), "\(usageBefore)")
        #expect(before.timings.allSatisfy { $0.contains("character_end_times_seconds") }, "the chapters have timings to carry")
        let server = embedded.server
        _ = try await onOwnThread { server.terminate() }
        // An import's legacy alias (the old app's key for the first chapter's row), which lookups accept.
        let legacyKey = SHA256Digest.test("the old app's key for the first chapter")
        try await onOwnThread {
            let vault = try OpenedVault(root: embedded.dataDirectory, logger: Logger(label: "migrate-test"))
            try vault.store.index.setAlias(legacyKey, for: try #require(SHA256Digest(hex: try VoiceTestbed.hash(text: first))))
        }
        let legacyAnswer = before.records[0]

        // Into a cluster, twice: the second run finds everything there.
        let catalog = try await PostgreSQL.shared().createDatabase()
        let seaweed = try await SeaweedFS.shared()
        let prefix = UUID().uuidString.lowercased()
        let blobs = "s3://voicevault-cluster/\(prefix)?endpoint=\(seaweed.endpoint.absoluteString)"
        let keys = [
            "VOICEVAULT_BLOB_ACCESS_KEY_ID": SeaweedFS.accessKeyID, "VOICEVAULT_BLOB_SECRET_ACCESS_KEY": SeaweedFS.secretAccessKey,
        ]
        let into = ["migrate", "--to-catalog", catalog, "--to-blobs", blobs, "--data-dir", embedded.dataDirectory]
        let firstRun = try await ServerProcess.run(into, environment: keys)
        #expect(firstRun.status == 0, "\(firstRun.output)")
        #expect(firstRun.output.contains("2 assets: 2 copied"), "\(firstRun.output)")
        #expect(firstRun.output.contains("1 Storage buckets, 2 objects: 2 copied"), "\(firstRun.output)")
        #expect(firstRun.output.contains("1 legacy aliases: 1 copied"), "\(firstRun.output)")
        #expect(firstRun.output.contains("2 book links given their chapter details"), "\(firstRun.output)")
        #expect(firstRun.output.contains("usage ledger: 3 rows carried"), "\(firstRun.output)")
        let secondRun = try await ServerProcess.run(into, environment: keys)
        #expect(secondRun.output.contains("2 assets: 0 copied") && secondRun.output.contains("2 already there"), "\(secondRun.output)")
        #expect(secondRun.output.contains("2 objects: 0 copied, 2 already there"), "\(secondRun.output)")
        #expect(secondRun.output.contains("1 legacy aliases: 0 copied"), "\(secondRun.output)")
        #expect(secondRun.output.contains("0 book links given"), "\(secondRun.output)")
        #expect(secondRun.output.contains("usage ledger: 3 rows, carried by an earlier run"), "\(secondRun.output)")

        // A cluster node that never saw them answers each as the embedded server did, generating nothing.
        let cluster = try await ClusterTestbed.start(
            nodes: 1, environment: ["VOICEVAULT_ADMIN_TOKEN": Self.admin], catalogURL: catalog, blobPrefix: prefix)
        #expect(try await Self.usage(cluster.nodes[0].baseURL) == usageBefore)
        #expect(try await Self.manifest(cluster.nodes[0].baseURL) == manifestBefore)
        #expect(try await Self.answers(cluster.nodes[0].baseURL, hashes: hashes) == before)
        #expect(try await Self.objectAnswers(cluster.nodes[0].baseURL, keys: objectKeys) == objectsBefore)
        #expect(try await httpRequest("GET", cluster.nodes[0].baseURL + "/api/voice/\(legacyKey.hex)").body == legacyAnswer)
        #expect(try await cluster.upstreamCalls() == 0)
        await cluster.stop()

        // And back out, into a new data directory, which an embedded server then serves the same way.
        let out = TemporaryDirectory("vv-migrated-out")
        let outOf = ["migrate", "--from-catalog", catalog, "--from-blobs", blobs, "--data-dir", out.path]
        let back = try await ServerProcess.run(outOf, environment: keys)
        #expect(back.status == 0 && back.output.contains("2 assets: 2 copied"), "\(back.output)")
        #expect(back.output.contains("1 Storage buckets, 2 objects: 2 copied"), "\(back.output)")
        #expect(back.output.contains("1 legacy aliases: 1 copied"), "\(back.output)")
        #expect(back.output.contains("usage ledger: 3 rows carried"), "\(back.output)")
        #expect(try await ServerProcess.run(outOf, environment: keys).output.contains("2 already there"))
        let restored = try await onOwnThread {
            try ServerProcess(
                arguments: ["serve", "--port", "0", "--data-dir", out.path],
                environment: ["VOICEVAULT_API_KEYS": VoiceTestbed.clientKey, "VOICEVAULT_ADMIN_TOKEN": Self.admin])
        }
        #expect(try await Self.usage(restored.baseURL) == usageBefore)
        #expect(try await Self.manifest(restored.baseURL) == manifestBefore)
        #expect(try await Self.answers(restored.baseURL, hashes: hashes) == before)
        #expect(try await Self.objectAnswers(restored.baseURL, keys: objectKeys) == objectsBefore)
        #expect(try await httpRequest("GET", restored.baseURL + "/api/voice/\(legacyKey.hex)").body == legacyAnswer)
        _ = try await onOwnThread { restored.terminate() }
    }
}
