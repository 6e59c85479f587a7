import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import Testing
import VaultCore
import VaultTestSupport

/// `voicevault backup` as a process beside a running server under load, then a server started on the copy
/// (which is how a backup is restored) serving every asset and object the copy holds.
@Suite(.serialized) struct BackupTests {
    static let admin = "backup-admin-token"

    /// Every record of a data directory, opened as a data directory (the server on it must be stopped).
    static func records(_ data: String) throws -> [AssetRecord] {
        let vault = try OpenedVault(root: data, sweepTemporaryFiles: false)
        var records: [AssetRecord] = []
        try vault.store.index.forEachRecord { records.append($0) }
        return records
    }

    @Test func aBackupUnderLoadRestoresEveryAsset() async throws {
        let testbed = try VoiceTestbed(environment: ["VOICEVAULT_ADMIN_TOKEN": Self.admin])
        let destination = testbed.directory.sub("backup")
        // Before the backup: assets in one or two books, and Storage objects, one a copy of another.
        var before: [String] = []
        for index in 0..<24 {
            let text = "Backup chapter \(index)."
            let result = try await testbed.post(VoiceTestbed.requestBody(text: text, book: "book-\(index % 3)"))
            #expect(result.status == 200, "\(result.body)")
            before.append(try VoiceTestbed.hash(text: text))
            if index % 4 == 0 {
                #expect(try await testbed.post(VoiceTestbed.requestBody(text: text, book: "shared")).status == 200)
            }
        }
        let storage = ["authorization": "Bearer \(VoiceTestbed.clientKey)", "content-type": "application/json"]
        #expect(
            try await httpRequest(
                "POST", testbed.server.baseURL + "/storage/v1/bucket", headers: storage,
                body: #"{"name":"notes","public":false}"#
            ).status == 200)
        #expect(
            try await httpRequest(
                "POST", testbed.server.baseURL + "/storage/v1/object/notes/a.txt",
                headers: ["authorization": storage["authorization"]!, "content-type": "text/plain"],
                body: "chapter notes"
            ).status == 200)
        #expect(
            try await httpRequest(
                "POST", testbed.server.baseURL + "/storage/v1/object/copy", headers: storage,
                body: #"{"bucketId":"notes","sourceKey":"a.txt","destinationKey":"b.txt"}"#
            ).status == 200)

        // The ledger writes in batches: wait until the generations so far are committed, so the copy must hold them.
        let generated = before.count
        try await waitUntil("the ledger recorded the generations") {
            let ledger = try SQLiteDatabase(path: testbed.dataDirectory + "/usage.sqlite", readOnly: true)
            return (try ledger.rows("SELECT count(*) FROM generations").first?.first?.int ?? 0) >= generated
        }
        let earlier = before

        // Load while the backup runs: new generations, downloads, and deletions of earlier assets.
        let deleted = Mutex<Set<String>>([])
        let stop = Atomic<Bool>(false)
        let load = Task {
            var round = 0
            while !stop.load(ordering: .relaxed) {
                _ = try? await testbed.post(VoiceTestbed.requestBody(text: "Load chapter \(round).", book: "load"))
                _ = try? await httpRequest("GET", testbed.server.baseURL + "/audio/book-\(round % 3)/\(earlier[round % earlier.count]).mp3")
                if round % 5 == 2, round / 5 < 6 {
                    let victim = earlier[(round / 5) * 4 + 1]
                    let result = try? await httpRequest(
                        "DELETE", testbed.server.baseURL + "/admin/audio/" + victim,
                        headers: ["authorization": "Bearer \(Self.admin)"])
                    if result?.status == 200 { deleted.withLock { _ = $0.insert(victim) } }
                }
                round += 1
            }
            return round
        }
        let backup = try await ServerProcess.run(["backup", destination, "--data-dir", testbed.dataDirectory, "--json"])
        stop.store(true, ordering: .relaxed)
        let rounds = try await load.value
        #expect(backup.status == 0, "\(backup.output)")
        #expect(rounds > 0)
        let report = json(String(backup.output[(backup.output.firstIndex(of: "{") ?? backup.output.startIndex)...]))
        #expect(report["ledgerCopied"] as? Bool == true)
        #expect((report["hardLinks"] as? Int ?? 0) >= 6)
        #expect(try FileManager.default.contentsOfDirectory(atPath: testbed.directory.path).filter { $0.contains(".partial-") }.isEmpty)
        _ = testbed.server.terminate()

        // The copy stands on its own: fsck finds it clean, and everything from before the backup that was not
        // deleted meanwhile is in it.
        let fsck = try await ServerProcess.run(["fsck", "--data-dir", destination])
        #expect(fsck.status == 0, "\(fsck.output)")
        let records = try Self.records(destination)
        let copied = Set(records.map(\.contentHash))
        let removed = deleted.withLock { $0 }
        for hash in before where !removed.contains(hash) {
            #expect(copied.contains(hash), "\(hash) is missing from the backup")
        }
        // A book's files of one asset are still one inode.
        for record in records where record.bookIds.count > 1 {
            let inodes = try Set(
                record.bookIds.map { book in
                    try #require(try FileSystem.status(destination + "/audio/\(book)/\(record.contentHash).mp3")).inode
                })
            #expect(inodes.count == 1, "\(record.contentHash) \(record.bookIds)")
        }
        let ledger = try SQLiteDatabase(path: destination + "/usage.sqlite", readOnly: true)
        #expect((try ledger.rows("SELECT count(*) FROM generations").first?.first?.int ?? 0) >= before.count)

        // Restore: a server on the copy, with no upstream it could pay, serves every asset and object.
        let restored = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", destination],
            environment: [
                "VOICEVAULT_API_KEYS": VoiceTestbed.clientKey, "ELEVENLABS_API_KEY": "unused", "ELEVENLABS_BASE_URL": "http://127.0.0.1:9",
            ])
        for record in records {
            for book in record.bookIds {
                let audio = try await httpRequest("GET", restored.baseURL + "/audio/\(book)/\(record.contentHash).mp3")
                #expect(audio.status == 200)
                #expect(SHA256Digest.of(audio.bytes).hex == record.sha256)
            }
        }
        let first = try #require(before.first)
        let hit = try await httpRequest(
            "POST", restored.baseURL + "/api/voice",
            headers: ["authorization": "Bearer \(VoiceTestbed.clientKey)", "content-type": "application/json"],
            body: VoiceTestbed.requestBody(text: "Backup chapter 0.", book: "book-0"))
        #expect(hit.header("x-cache") == "HIT")
        #expect(hit.header("x-content-hash") == first)
        for key in ["a.txt", "b.txt"] {
            let object = try await httpRequest(
                "GET", restored.baseURL + "/storage/v1/object/notes/" + key,
                headers: ["authorization": "Bearer \(VoiceTestbed.clientKey)"])
            #expect(object.body == "chapter notes", "\(key)")
        }
        #expect(restored.terminate() == 0)
    }

    @Test func aBackupIsWholeOrAbsent() async throws {
        let directory = TemporaryDirectory("vv-backup")
        let data = directory.sub("data")
        let vault = try OpenedVault(root: data)
        for index in 0..<40 {
            _ = try vault.store.publish(
                SilentMP3.make(frames: 200 + index), hash: .test("asset \(index)"), bookId: .book("b\(index % 4)"),
                metadata: AssetMetadata(voiceId: "v", modelId: "m", outputFormat: "mp3_44100_128", wordCount: 1, characterCount: 1))
        }
        withExtendedLifetime(vault) {}

        // An existing destination is refused, and left alone.
        try FileManager.default.createDirectory(atPath: directory.sub("exists"), withIntermediateDirectories: false)
        let refused = try await ServerProcess.run(["backup", directory.sub("exists"), "--data-dir", data])
        #expect(refused.status == 1)
        #expect(refused.output.contains("already exists"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.sub("exists")).isEmpty)
        let notData = try await ServerProcess.run(["backup", directory.sub("nowhere"), "--data-dir", directory.sub("missing")])
        #expect(notData.status == 1)
        #expect(notData.output.contains("not a VoiceVault data directory"))

        // Killed at any moment, a backup leaves its destination absent or whole (never a partial copy under it).
        var killedBeforeTheEnd = 0
        for round in 0..<8 {
            let destination = directory.sub("kill-\(round)")
            let process = Process()
            process.executableURL = TestPaths.productsDirectory.appendingPathComponent("voicevault")
            process.arguments = ["backup", destination, "--data-dir", data]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(round * 4))
            kill(process.processIdentifier, SIGKILL)
            try await onOwnThread { process.waitUntilExit() }
            if process.terminationReason == .uncaughtSignal { killedBeforeTheEnd += 1 }
            if FileManager.default.fileExists(atPath: destination) {
                let fsck = try await ServerProcess.run(["fsck", "--data-dir", destination])
                #expect(fsck.status == 0, "round \(round): \(fsck.output)")
                #expect(try Self.records(destination).count == 40)
            }
        }
        #expect(killedBeforeTheEnd > 0)
    }
}
