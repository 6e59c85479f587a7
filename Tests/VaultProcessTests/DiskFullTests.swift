import Foundation
import Testing
import VaultTestSupport
import VaultCore

/// A full disk, for real: the data directory is a small tmpfs, filled to the last byte while the server runs.
/// Generation and upload must fail with a clear error and leave nothing behind; once space is freed the same
/// requests succeed, and fsck finds the directory clean.
@Suite(.enabled(if: SmallFileSystem.canMount, "mounting a tmpfs needs root"))
struct DiskFullTests {
    @Test func aFullDiskStoresNothingAndTheServerRecoversWhenSpaceIsFreed() async throws {
        var disk: SmallFileSystem?
        let bed = try VoiceTestbed { path in disk = try SmallFileSystem(at: path, bytes: 8 << 20) }
        let tmpfs = try #require(disk)
        defer { tmpfs.unmount() }
        let auth = ["Authorization": "Bearer \(VoiceTestbed.clientKey)"]
        let storage = bed.server.baseURL + "/storage/v1"
        // The bucket exists before the disk fills: creating one is a write too.
        let bucket = try await httpRequest(
            "POST", storage + "/bucket", headers: auth.merging(["content-type": "application/json"]) { $1 },
            body: #"{"id":"uploads","name":"uploads","public":false}"#)
        #expect(bucket.status == 200, "\(bucket.body)")

        let filled = try tmpfs.fill()
        #expect(filled > 0)

        let text = "There is no room left on this disk."
        let hash = try VoiceTestbed.hash(text: text)
        let full = try await bed.post(VoiceTestbed.requestBody(text: text))
        #expect(full.status == 507, "\(full.body)")
        #expect(json(full.body)["error"] as? String == "storage_full")
        #expect(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)").status == 404)
        #expect(bed.filesUnder("audio").isEmpty)
        #expect(bed.filesUnder("tmp").isEmpty)

        let upload = try await httpRequest(
            "POST", storage + "/object/uploads/chapter.mp3",
            headers: auth.merging(["content-type": "audio/mpeg"]) { $1 },
            body: String(repeating: "x", count: 200_000))
        #expect(upload.status == 507, "\(upload.body)")
        #expect(json(upload.body)["error"] as? String == "InsufficientStorage")
        #expect(json(upload.body)["statusCode"] as? String == "507")
        #expect(try await httpRequest("GET", storage + "/object/uploads/chapter.mp3", headers: auth).status != 200)
        #expect(bed.filesUnder("objects").isEmpty)
        #expect(bed.filesUnder("tmp").isEmpty)
        #expect(try await httpRequest("GET", bed.server.baseURL + "/healthz").status == 200)

        // Space again: the same requests now succeed, and nothing of the failed attempts is in the way.
        tmpfs.remove()
        let generated = try await bed.post(VoiceTestbed.requestBody(text: text))
        #expect(generated.status == 200, "\(generated.body)")
        #expect(generated.header("x-cache") == "MISS")
        let url = try #require(json(generated.body)["url"] as? String)
        #expect(try await httpRequest("GET", bed.server.baseURL + url).status == 200)
        let retried = try await httpRequest(
            "POST", storage + "/object/uploads/chapter.mp3",
            headers: auth.merging(["content-type": "audio/mpeg"]) { $1 },
            body: String(repeating: "x", count: 200_000))
        #expect(retried.status == 200, "\(retried.body)")
        #expect(try await httpRequest("GET", storage + "/object/uploads/chapter.mp3", headers: auth).bytes.count == 200_000)

        #expect(bed.server.terminate() == 0)
        let fsck = try await ServerProcess.run(["fsck", "--data-dir", bed.dataDirectory])
        #expect(fsck.status == 0, "\(fsck.output)")
    }
}
