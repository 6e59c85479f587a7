import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import VaultCore
import VaultTestSupport

/// `voicevault import` as a process: from a directory, then served by a real server (a hit, not a generation;
/// the legacy key found by lookup), and from a Storage bucket that another VoiceVault serves, end to end.
@Suite struct ImportCommandTests {
    static let fixtureRows = ["--sqlite", TestPaths.fixture("legacy.sqlite"), "--bucket", "book-audio"]

    static func expectedRows() throws -> [LegacyFixture.Row] { try LegacyFixture.load().book_audio }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func importsFromADirectoryAndTheServerAnswersHits() async throws {
        let directory = TemporaryDirectory("vv-import-cli")
        let data = directory.sub("data")
        let files = ["--files", TestPaths.fixture("legacy")]

        // A dry run into a directory that does not exist leaves it so.
        let dry = try await ServerProcess.run(["import", "--data-dir", data, "--dry-run"] + Self.fixtureRows + files)
        #expect(dry.status == 2, "\(dry.output)")
        #expect(dry.output.contains("dry run: nothing was written"))
        #expect(dry.output.contains("9 rows: would import 3, linked 1 to audio already stored, 0 already present, 5 not imported"))
        #expect(!FileManager.default.fileExists(atPath: data))

        let first = try await ServerProcess.run(["import", "--data-dir", data] + Self.fixtureRows + files)
        #expect(first.status == 2, "\(first.output)")
        #expect(
            first.output.contains(
                "9 rows: imported 3, linked 1 to audio already stored, 0 already present, 5 not imported (empty_text 1, invalid_book_id 1, invalid_storage_path 1, missing_file 1, not_mp3 1)"
            ))
        #expect(first.output.contains("row 4: not imported: missing_file"))
        let second = try await ServerProcess.run(["import", "--data-dir", data, "--json"] + Self.fixtureRows + files)
        #expect(second.status == 2)
        let secondSummary = try Self.json(String(second.output[second.output.firstIndex(of: "{")!...]))
        #expect(secondSummary["imported"] as? Int == 0)
        #expect(secondSummary["alreadyPresent"] as? Int == 4)
        let fsck = try await ServerProcess.run(["fsck", "--data-dir", data])
        #expect(fsck.status == 0, "\(fsck.output)")

        // A typo in a mapping stops before the data directory is touched.
        let typo = try await ServerProcess.run(
            ["import", "--data-dir", directory.sub("other"), "--column", "voice=v"] + Self.fixtureRows + files)
        #expect(typo.status == 1)
        #expect(typo.output.contains("'voice' is not a legacy field"))
        #expect(!FileManager.default.fileExists(atPath: directory.sub("other")))

        // ElevenLabs mode with an upstream that is not there: anything but a hit would fail.
        let server = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", data],
            environment: [
                "VOICEVAULT_API_KEYS": "client-key", "ELEVENLABS_API_KEY": "unused", "ELEVENLABS_BASE_URL": "http://127.0.0.1:9",
            ])
        let rows = try Self.expectedRows()
        let row = try #require(rows.first)
        let hit = try await httpRequest(
            "POST", server.baseURL + "/api/voice", headers: ["authorization": "Bearer client-key", "content-type": "application/json"],
            body:
                #"{"text":"Chapter one. It was a bright cold day in April.","voiceId":"21m00Tcm4TlvDq8ikWAM","bookId":"book-1","model":"eleven_multilingual_v2","speakingRate":1,"format":"mp3_44100_128"}"#
        )
        #expect(hit.status == 200, "\(hit.body)")
        #expect(hit.header("x-cache") == "HIT")
        #expect(try Self.json(hit.body)["contentHash"] as? String == row.contentHash)
        // The old app's key finds the same asset.
        let byLegacyKey = try await httpRequest("GET", server.baseURL + "/api/voice/" + (row.legacyKey ?? ""))
        #expect(byLegacyKey.status == 200)
        #expect(try Self.json(byLegacyKey.body)["contentHash"] as? String == row.contentHash)
        #expect(try Self.json(byLegacyKey.body)["origin"] as? String == "imported")
        let audio = try await httpRequest("GET", server.baseURL + "/audio/book-2/\(row.contentHash ?? "").mp3")
        #expect(audio.status == 200)
        #expect(audio.bytes == Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("speech-cbr128-id3.mp3")))))
        // The rows' chapters take their places in the book, without timings: a position answers the chapter's
        // start and says why, and the player plays it without its text.
        let key = ["authorization": "Bearer client-key", "content-type": "application/json"]
        let book = try Self.json(try await httpRequest("GET", server.baseURL + "/api/books/book-1", headers: key).body)
        let chapters = book["chapters"] as? [[String: Any]] ?? []
        #expect(chapters.map { $0["chapterId"] as? String ?? "-" } == ["ch-1", "ch-2"], "\(book)")
        #expect(chapters.allSatisfy { ($0["renditions"] as? [[String: Any]])?.first?["alignment"] as? Bool == false })
        let saved = try await httpRequest(
            "PUT", server.baseURL + "/api/books/book-1/position", headers: key,
            body: #"{"listener":"old-reader","chapterId":"ch-1","char":10}"#)
        #expect(saved.status == 200, "\(saved.body)")
        let resumed = try Self.json(
            try await httpRequest(
                "GET", server.baseURL + "/api/books/book-1/position?listener=old-reader&voice=21m00Tcm4TlvDq8ikWAM", headers: key
            ).body)
        #expect(resumed["seconds"] as? Double == 0 && resumed["note"] as? String == "alignment_not_available", "\(resumed)")
        let fromTime = try Self.json(
            try await httpRequest(
                "POST", server.baseURL + "/api/books/book-1/position", headers: key,
                body: #"{"listener":"old-reader","contentHash":"\#(row.contentHash ?? "")","seconds":1.5}"#
            ).body)
        #expect(fromTime["char"] as? Int == 0 && fromTime["note"] as? String == "alignment_not_available", "\(fromTime)")
        let player = try await httpRequest("GET", server.baseURL + "/listen/book-1")
        #expect(player.status == 200 && player.body.contains("stored before VoiceVault kept timings"))
        #expect(server.terminate() == 0)
    }

    @Test func importsFromAStorageBucketServedByVoiceVault() async throws {
        let directory = TemporaryDirectory("vv-import-storage")
        let source = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", directory.sub("source")],
            environment: ["VOICEVAULT_API_KEYS": "client-key"])
        let auth = ["authorization": "Bearer client-key", "content-type": "application/json"]
        let bucket = try await httpRequest(
            "POST", source.baseURL + "/storage/v1/bucket", headers: auth,
            body: #"{"name":"book-audio","public":false}"#)
        #expect(bucket.status == 200, "\(bucket.body)")
        let root = TestPaths.fixture("legacy")
        var uploaded: [String] = []
        for book in try FileSystem.contents(of: root) {
            for file in try FileSystem.contents(of: root + "/" + book) {
                var request = HTTPClientRequest(url: source.baseURL + "/storage/v1/object/book-audio/\(book)/\(file)")
                request.method = .POST
                request.headers.add(name: "authorization", value: "Bearer client-key")
                request.headers.add(name: "content-type", value: "audio/mpeg")
                request.body = .bytes(ByteBuffer(bytes: try FileSystem.readFile(root + "/" + book + "/" + file)))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                #expect(response.status == .ok, "\(book)/\(file)")
                _ = try await response.body.collect(upTo: 1 << 20)
                uploaded.append("\(book)/\(file)")
            }
        }
        #expect(uploaded.count == 7)

        let fromStorage = directory.sub("from-storage")
        let result = try await ServerProcess.run(
            [
                "import", "--data-dir", fromStorage, "--from-storage", source.baseURL,
                "--sqlite", TestPaths.fixture("legacy.sqlite"), "--bucket", "book-audio", "--json",
            ],
            environment: ["VOICEVAULT_IMPORT_KEY": "client-key"])
        #expect(result.status == 2, "\(result.output)")
        let summary = try Self.json(String(result.output[result.output.firstIndex(of: "{")!...]))
        #expect(summary["imported"] as? Int == 3)
        #expect(summary["linked"] as? Int == 1)
        #expect((summary["unreferencedFiles"] as? [String])?.contains("book-9/orphan.mp3") == true)
        let codes = (summary["rejected"] as? [[String: Any]])?.compactMap { $0["code"] as? String }.sorted()
        #expect(codes == ["empty_text", "invalid_book_id", "invalid_storage_path", "missing_file", "not_mp3"])

        // The same store as an import from the files themselves.
        let fromFiles = directory.sub("from-files")
        _ = try await ServerProcess.run(["import", "--data-dir", fromFiles, "--files", root] + Self.fixtureRows)
        #expect(try Self.records(fromStorage) == Self.records(fromFiles))
        #expect(try await ServerProcess.run(["fsck", "--data-dir", fromStorage]).status == 0)

        // A wrong key is one clear failure, not a row-by-row report.
        let denied = try await ServerProcess.run([
            "import", "--data-dir", directory.sub("denied"), "--from-storage", source.baseURL,
            "--key", "wrong", "--sqlite", TestPaths.fixture("legacy.sqlite"), "--bucket", "book-audio",
        ])
        #expect(denied.status == 1, "\(denied.output)")
        #expect(source.terminate() == 0)
    }

    /// Every record with its books, bytes' digest and origin, by hash (creation times differ for rows that have
    /// none: those are stamped with the time of the import).
    static func records(_ data: String) throws -> [String] {
        let vault = try OpenedVault(root: data)
        var lines: [String] = []
        try vault.store.index.forEachRecord { lines.append("\($0.contentHash) \($0.bookIds) \($0.sha256) \($0.origin)") }
        return lines
    }
}
