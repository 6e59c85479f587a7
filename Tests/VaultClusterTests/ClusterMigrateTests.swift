import Foundation
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

    @Test func intoAClusterAndBackOutEveryAssetAnswersIdentically() async throws {
        // An embedded server makes three answers: one chapter in two books, another in one.
        let embedded = try VoiceTestbed()
        let first = "The first chapter, kept in two books."
        let second = "The second chapter."
        for (text, book) in [(first, "book-1"), (first, "book-2"), (second, "book-1")] {
            #expect(try await embedded.post(VoiceTestbed.requestBody(text: text, book: book)).status == 200)
        }
        let hashes = [
            ("book-1", try VoiceTestbed.hash(text: first)), ("book-2", try VoiceTestbed.hash(text: first)),
            ("book-1", try VoiceTestbed.hash(text: second)),
        ]
        let before = try await Self.answers(embedded.server.baseURL, hashes: hashes)
        #expect(before.timings.allSatisfy { $0.contains("character_end_times_seconds") }, "the chapters have timings to carry")
        let server = embedded.server
        _ = try await onOwnThread { server.terminate() }

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
        let secondRun = try await ServerProcess.run(into, environment: keys)
        #expect(secondRun.output.contains("2 assets: 0 copied") && secondRun.output.contains("2 already there"), "\(secondRun.output)")

        // A cluster node that never saw them answers each as the embedded server did, generating nothing.
        let cluster = try await ClusterTestbed.start(nodes: 1, catalogURL: catalog, blobPrefix: prefix)
        #expect(try await Self.answers(cluster.nodes[0].baseURL, hashes: hashes) == before)
        #expect(try await cluster.upstreamCalls() == 0)
        await cluster.stop()

        // And back out, into a new data directory, which an embedded server then serves the same way.
        let out = TemporaryDirectory("vv-migrated-out")
        let outOf = ["migrate", "--from-catalog", catalog, "--from-blobs", blobs, "--data-dir", out.path]
        let back = try await ServerProcess.run(outOf, environment: keys)
        #expect(back.status == 0 && back.output.contains("2 assets: 2 copied"), "\(back.output)")
        #expect(try await ServerProcess.run(outOf, environment: keys).output.contains("2 already there"))
        let restored = try await onOwnThread { try ServerProcess(arguments: ["serve", "--port", "0", "--data-dir", out.path]) }
        #expect(try await Self.answers(restored.baseURL, hashes: hashes) == before)
        _ = try await onOwnThread { restored.terminate() }
    }
}
