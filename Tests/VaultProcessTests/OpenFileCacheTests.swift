#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore
@testable import VaultServer

/// Descriptors of hot audio kept open (`OpenFileCache`, issue 13): bounded in number, closed once evicted and no
/// answer is sending from them, never kept for a file already unlinked, and dropped by the server as soon as
/// an asset is deleted, so its disk space is freed.
@Suite struct OpenFileCacheTests {
    static let adminToken = "open-files-admin-token-0123456789"

    let directory = TemporaryDirectory()

    func file(_ name: String, size: Int = 1_000) throws -> String {
        let path = directory.path + "/" + name
        try Data(repeating: UInt8(name.utf8.first ?? 0), count: size).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Whether `descriptor` is an open descriptor of this process.
    static func isOpen(_ descriptor: Int32) -> Bool { fcntl(descriptor, F_GETFD) != -1 }

    @Test func keepsAtMostItsCapacityAndClosesTheLeastRecentlyUsed() throws {
        let cache = OpenFileCache<String>(capacity: 2)
        var descriptors: [String: Int32] = [:]
        for name in ["a", "b"] {
            let opened = try #require(OpenFile(path: try file(name)))
            descriptors[name] = opened.descriptor
            cache.keep(opened, for: name)
        }
        #expect(cache.file("a")?.descriptor == descriptors["a"])  // a is now the most recently used
        let c = try #require(OpenFile(path: try file("c")))
        cache.keep(c, for: "c")
        #expect(cache.file("b") == nil)
        #expect(!Self.isOpen(try #require(descriptors["b"])))
        #expect(Self.isOpen(try #require(descriptors["a"])) && Self.isOpen(c.descriptor))
        #expect(cache.statistics.entries == 2)
    }

    @Test func anAnswerStillSendingKeepsItsDescriptorOpenPastItsInvalidation() throws {
        let cache = OpenFileCache<String>(capacity: 4)
        var sending = OpenFile(path: try file("a"))
        let descriptor = try #require(sending?.descriptor)
        cache.keep(try #require(sending), for: "a")
        cache.invalidate("a")
        #expect(cache.file("a") == nil)
        #expect(Self.isOpen(descriptor))
        sending = nil  // the answer is written
        #expect(!Self.isOpen(descriptor))
    }

    /// The race the server's invalidation relies on: a file opened before its unlink and offered after the
    /// store's notice is not kept, so nothing keeps its blocks allocated.
    @Test func aFileAlreadyUnlinkedIsNotKept() throws {
        let cache = OpenFileCache<String>(capacity: 4)
        let path = try file("a")
        var opened = OpenFile(path: path)
        let descriptor = try #require(opened?.descriptor)
        try FileSystem.removeFile(path)
        cache.keep(try #require(opened), for: "a")
        #expect(cache.file("a") == nil)
        opened = nil
        #expect(!Self.isOpen(descriptor))
    }

    @Test func noCapacityKeepsNothing() throws {
        let cache = OpenFileCache<String>(capacity: 0)
        let opened = try #require(OpenFile(path: try file("a")))
        cache.keep(opened, for: "a")
        #expect(cache.file("a") == nil && cache.statistics.entries == 0)
    }

    /// The hot-file cache keeps what it opens and reads through what is kept.
    @Test func theHotFileCacheKeepsWhatItOpens() throws {
        let descriptors = OpenFileCache<String>(capacity: 4)
        let cache = HotFileCache<String>(capacity: 0, entryLimit: 0, descriptors: descriptors)
        let path = try file("a", size: 3_000)
        guard case let .file(first)? = try cache.bytes(for: "a", path: path) else {
            Issue.record("not a file")
            return
        }
        #expect(descriptors.file("a") === first)
        try FileSystem.removeFile(path)  // kept open: still readable without its name
        guard case let .file(second)? = try cache.bytes(for: "a", path: path) else {
            Issue.record("not kept")
            return
        }
        #expect(second === first)
        #expect(try second.read(offset: 0, count: 3_000).readableBytes == 3_000)
    }

    // MARK: The server

    /// The server's descriptors of MP3 files, as the kernel lists them (a deleted file's ends in " (deleted)").
    static func audioDescriptors(_ server: ServerProcess) -> [String] {
        let directory = "/proc/\(server.process.processIdentifier)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0) }
            .filter { $0.contains(".mp3") }
    }

    /// Polls `condition` until it holds or 10 s pass: an answer's own hold on a descriptor ends when the server
    /// sees its write complete, just after the client has the bytes.
    static func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// With no download cache, the first download opens the file off the event loop and keeps it; later ones
    /// are answered from the request bytes with `sendfile` from that descriptor: every shape of answer, held to
    /// the file's bytes. Deleting the asset closes the descriptor at once, so its space is freed.
    @Test func keptDescriptorsServeDirectAnswersAndADeletedAssetsIsClosed() async throws {
        let bed = try VoiceTestbed(environment: [
            "VOICEVAULT_DOWNLOAD_CACHE_MIB": "0", "VOICEVAULT_METRICS_PUBLIC": "true", "VOICEVAULT_ADMIN_TOKEN": Self.adminToken,
        ])
        let path = try #require(
            json(try await bed.post(VoiceTestbed.requestBody(text: "Sent from a descriptor kept open.")).body)["url"] as? String)
        let bytes = try FileSystem.readFile(bed.dataDirectory + path)
        #expect(try await httpRequest("GET", bed.server.baseURL + path).status == 200)
        #expect(try await Self.eventually { Self.audioDescriptors(bed.server).count == 1 })

        let before = try await MetricScrape.directAnswers(bed.server)
        let answers = try await PipelinedAnswers.send(
            [
                "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=100-199\r\n\r\n",
                "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=-50\r\n\r\n",
                "HEAD \(path) HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            ], port: bed.server.port)
        #expect(answers.map(\.status) == [200, 206, 206, 200, 200])
        guard answers.count == 5 else { return }
        #expect(answers[0].body == bytes && answers[4].body == bytes)
        #expect(answers[1].body == Array(bytes[100..<200]))
        #expect(answers[2].body == Array(bytes.suffix(50)))
        #expect(answers[3].body.isEmpty)
        #expect(try await MetricScrape.directAnswers(bed.server) - before == 5)
        #expect(Self.audioDescriptors(bed.server).count == 1)

        let hash = String(path.split(separator: "/").last?.dropLast(4) ?? "")
        let deleted = try await httpRequest(
            "DELETE", bed.server.baseURL + "/admin/audio/\(hash)",
            headers: ["Authorization": "Bearer \(Self.adminToken)"])
        #expect(deleted.status == 200, "\(deleted.body)")
        #expect(try await Self.eventually { Self.audioDescriptors(bed.server).isEmpty }, "\(Self.audioDescriptors(bed.server))")
        #expect(try await httpRequest("GET", bed.server.baseURL + path).status == 404)
    }

    /// However many files are downloaded, the server keeps at most `VOICEVAULT_OPEN_FILE_CACHE` open.
    @Test func theServerKeepsNoMoreDescriptorsThanConfigured() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_DOWNLOAD_CACHE_MIB": "0", "VOICEVAULT_OPEN_FILE_CACHE": "2"])
        var paths: [String] = []
        for index in 0..<5 {
            let posted = try await bed.post(VoiceTestbed.requestBody(text: "Chapter \(index), kept open for a while."))
            paths.append(try #require(json(posted.body)["url"] as? String))
        }
        for path in paths + paths {
            #expect(try await httpRequest("GET", bed.server.baseURL + path).status == 200)
        }
        #expect(try await Self.eventually { Self.audioDescriptors(bed.server).count == 2 }, "\(Self.audioDescriptors(bed.server))")
        // The two kept are the two most recently downloaded.
        let kept = Set(Self.audioDescriptors(bed.server).map { String($0.split(separator: "/").last ?? "") })
        #expect(kept == Set(paths.suffix(2).map { String($0.split(separator: "/").last ?? "") }))
    }
}
