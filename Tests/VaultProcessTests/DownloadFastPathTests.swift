import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import VaultTestSupport
import VaultCore

/// Issue 13: hot `/audio` downloads are answered ahead of the router. The router's answer is the oracle:
/// every request below is asked of a server with the fast path and of one without, over the same data
/// directory, and the answers must agree byte for byte (the `Date` header and a multipart boundary aside).
@Suite struct DownloadFastPathTests {
    static func probes(path: String, hash: String, etag: String, length: Int) -> [RawProbe] {
        let missing = String(repeating: "ab", count: 32)
        let lastModifiedLater = HTTPDate.format(Int64(Date().timeIntervalSince1970) + 3_600)
        let earlier = HTTPDate.format(1_000_000)
        return [
            RawProbe(method: "GET", target: path),
            RawProbe(method: "HEAD", target: path),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=0-99")]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=100-")]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=-100")]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=\(length - 10)-\(length + 500)")]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=0-0,1-1")]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=0-9, 200-299, -50")]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=0-9"), ("Range", "bytes=20-29")]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=\(length)-")]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=abc")]),
            RawProbe(
                method: "GET", target: path,
                headers: [("Range", "bytes=" + (0..<40).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ","))]),
            RawProbe(method: "HEAD", target: path, headers: [("Range", "bytes=0-9")]),
            RawProbe(method: "GET", target: path, headers: [("If-None-Match", etag)]),
            RawProbe(method: "GET", target: path, headers: [("If-None-Match", "\"other\", \(etag)")]),
            RawProbe(method: "GET", target: path, headers: [("If-None-Match", "\"other\"")]),
            // An empty If-None-Match counts as absent, so If-Modified-Since decides (the fast path once read it
            // as present and answered 200 where the router answered 304).
            RawProbe(method: "GET", target: path, headers: [("If-None-Match", ""), ("If-Modified-Since", lastModifiedLater)]),
            RawProbe(method: "GET", target: path, headers: [("If-Match", "\"other\"")]),
            RawProbe(method: "GET", target: path, headers: [("If-Modified-Since", lastModifiedLater)]),
            RawProbe(method: "GET", target: path, headers: [("If-Unmodified-Since", earlier)]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=0-9"), ("If-Range", etag)]),
            RawProbe(method: "GET", target: path, headers: [("Range", "bytes=0-9"), ("If-Range", "\"other\"")]),
            RawProbe(method: "GET", target: path + "?download"),
            RawProbe(method: "GET", target: path + "?download=My%20Chapter%20One.mp3&x=1"),
            RawProbe(method: "GET", target: path, headers: [("Origin", "https://app.example")]),
            RawProbe(method: "GET", target: "/audio/book-1/\(missing).mp3"),
            RawProbe(method: "HEAD", target: "/audio/book-1/\(missing).mp3"),
            RawProbe(method: "GET", target: "/audio/book-2/\(hash).mp3"),
            RawProbe(method: "GET", target: "/audio/book-1/\(hash)"),
            RawProbe(method: "GET", target: "/audio/book-1/\(hash.uppercased()).mp3"),
            RawProbe(method: "GET", target: "/audio/book-1/abc.mp3"),
            RawProbe(method: "GET", target: "/audio/../\(hash).mp3"),
            RawProbe(method: "GET", target: "/audio/" + String(repeating: "b", count: 300) + "/\(hash).mp3"),
            // Spellings the fast path leaves to the router.
            RawProbe(method: "GET", target: "/audio/book%2D1/\(hash).mp3", fast: false),
            RawProbe(method: "GET", target: path + "/", fast: false),
            RawProbe(method: "GET", target: "/audio//\(hash).mp3", fast: false),
            RawProbe(method: "GET", target: path, headers: [("Authorization", "Bearer nobody")], fast: false),
            RawProbe(method: "POST", target: path, fast: false),
            RawProbe(method: "DELETE", target: path, fast: false),
        ]
    }

    @Test(arguments: [true, false])
    func bothTransportsAnswerEveryDownloadAlike(cached: Bool) async throws {
        // Uncached (no download cache), every body is sent with sendfile from a descriptor opened off the loop.
        let environment = ["VOICEVAULT_DOWNLOAD_CACHE_MIB": cached ? "256" : "0", "VOICEVAULT_METRICS_PUBLIC": "true"]
        let bed = try VoiceTestbed(environment: environment)
        // About 150 KB: uncached, a whole-file answer is large enough to be corked around its `sendfile`
        // (`DirectDownloadHandler.corkMinimumFileBytes`); held, every answer goes from memory.
        let text = String(repeating: "A chapter both transports must serve alike. ", count: 3)
        let answer = json(try await bed.post(VoiceTestbed.requestBody(text: text)).body)
        let path = try #require(answer["url"] as? String)
        let bytes = try FileSystem.readFile(bed.dataDirectory + path)
        let hash = String(path.split(separator: "/").last?.dropLast(4) ?? "")
        let probes = Self.probes(path: path, hash: hash, etag: "\"\(SHA256Digest.of(bytes).hex)\"", length: bytes.count)

        var first: [RawAnswer] = []
        for probe in probes { first.append(try await probe.ask(port: bed.server.port)) }
        // Second pass: the file is held now (when cached), so each eligible request is the fast path's.
        var fast: [RawAnswer] = []
        for probe in probes {
            let before = try await MetricScrape.fastAnswers(bed.server)
            let directBefore = try await MetricScrape.directAnswers(bed.server)
            fast.append(try await probe.ask(port: bed.server.port))
            let taken = try await MetricScrape.fastAnswers(bed.server) - before
            let direct = try await MetricScrape.directAnswers(bed.server) - directBefore
            #expect(taken == (probe.fast ? 1 : 0), "\(probe) -> \(fast.last.map { "\($0)" } ?? "")")
            // Held bytes, a kept descriptor's (uncached: opened by the first pass) and refusals are all answered
            // from the request bytes.
            #expect(direct == taken, "\(probe)")
        }
        #expect(bed.server.terminate() == 0)

        var routedEnvironment = environment
        routedEnvironment["VOICEVAULT_FAST_PATH"] = "off"
        let router = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", bed.dataDirectory], environment: routedEnvironment)
        for (index, probe) in probes.enumerated() {
            let routed = try await probe.ask(port: router.port)
            #expect(fast[index] == routed, "\(probe)")
            #expect(first[index] == routed, "\(probe)")
        }
        #expect(try await MetricScrape.fastAnswers(router) == 0)
        // The answers are the real ones, not two equal failures.
        #expect(bytes.count > 128 * 1024)  // DirectDownloadHandler.corkMinimumFileBytes
        #expect(fast[0].statusLine == "HTTP/1.1 200 OK" && fast[0].body == bytes)
        #expect(fast[2].statusLine == "HTTP/1.1 206 Partial Content" && fast[2].body == Array(bytes[0..<100]))
    }

    /// Answers on one connection come back in request order, whichever transport gives each, including
    /// while a file is being opened off the event loop.
    @Test(arguments: [true, false])
    func pipelinedRequestsOfBothTransportsAreAnsweredInOrder(cached: Bool) async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_DOWNLOAD_CACHE_MIB": cached ? "256" : "0"])
        let body = VoiceTestbed.requestBody(text: "Pipelined answers keep their order.")
        let path = try #require(json(try await bed.post(body).body)["url"] as? String)
        let bytes = try FileSystem.readFile(bed.dataDirectory + path)
        _ = try await httpRequest("GET", bed.server.baseURL + path)  // held from now on, when cached
        let requests = [
            "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n",
            "POST /api/voice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(VoiceTestbed.clientKey)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n",
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            "HEAD \(path) HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /audio/book-1/\(String(repeating: "0", count: 64)).mp3 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=20-29\r\n\r\n",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ]
        let answers = try await PipelinedAnswers.send(requests, port: bed.server.port)
        #expect(answers.map(\.status) == [206, 200, 206, 200, 200, 404, 206, 200])
        guard answers.count == 8 else { return }
        #expect(answers[0].body == Array(bytes[0..<10]))
        #expect(String(decoding: answers[1].body, as: UTF8.self).contains("\"cached\":true"))
        #expect(answers[2].body == Array(bytes[10..<20]))
        #expect(String(decoding: answers[3].body, as: UTF8.self).contains("\"status\":\"ok\""))
        #expect(answers[4].body.isEmpty)
        #expect(answers[6].body == Array(bytes[20..<30]))
        #expect(answers[7].body == bytes)
    }

    /// Both transports write the same request line; `VOICEVAULT_ACCESS_LOG=false` silences both and nothing else.
    @Test(arguments: [true, false]) func bothTransportsLogAlikeAndTheAccessLogSettingSilencesBoth(accessLog: Bool) async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_ACCESS_LOG": accessLog ? "true" : "false"])
        let path = try #require(json(try await bed.post(VoiceTestbed.requestBody(text: "Logged both ways.")).body)["url"] as? String)
        #expect(try await httpRequest("GET", bed.server.baseURL + path).status == 200)  // the router reads it in
        #expect(try await httpRequest("GET", bed.server.baseURL + path, headers: ["range": "bytes=0-9"]).status == 206)  // fast
        #expect(
            try await httpRequest("HEAD", bed.server.baseURL + "/audio/book-1/" + String(repeating: "0", count: 64) + ".mp3").status == 404)
        #expect(bed.server.terminate() == 0)
        let lines = bed.server.log.split(separator: "\n").filter { $0.hasSuffix("[VaultServer] request") }
        #expect(bed.server.log.contains("listening"))
        guard accessLog else {
            #expect(lines.isEmpty, "\(lines)")
            return
        }
        let downloads = lines.filter { $0.contains("path=/audio/") }
        #expect(downloads.count == 3)
        // Same fields in the same order: `<time> info voicevault: hb.request.id=... method=... path=... status=... us=...`.
        let shapes = downloads.map { line in line.split(separator: " ").dropFirst().map { $0.split(separator: "=").first ?? "" } }
        #expect(Set(shapes.map { $0.joined(separator: " ") }).count == 1, "\(downloads)")
        #expect(
            downloads.map { $0.contains("status=200") || $0.contains("status=206") || $0.contains("status=404") } == [true, true, true])
        #expect(downloads[2].contains("method=HEAD") && downloads[2].contains("status=404"))
        #expect(downloads.allSatisfy { $0.contains(" info voicevault: hb.request.id=") })
    }

    /// The idle timeout counts from the last answer of either transport: a keep-alive connection busy only
    /// with fast-path downloads stays open past it (Hummingbird's own timer, which never sees them, closed
    /// it), and is closed once it goes quiet.
    @Test func aConnectionBusyWithFastDownloadsIsNotClosedAsIdle() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_IDLE_TIMEOUT_SECONDS": "2", "VOICEVAULT_METRICS_PUBLIC": "true"])
        // The server closes idle connections after 2 s: a pooled one could be closed as it is reused.
        let client = HTTPClient.freshConnectionPerRequest
        let path = try #require(
            json(try await bed.post(VoiceTestbed.requestBody(text: "Busy, never idle."), client: client).body)["url"] as? String)
        _ = try await httpRequest("GET", bed.server.baseURL + path, client: client)
        let before = try await MetricScrape.fastAnswers(bed.server, client: client)
        let statuses = try await Task.detached { () -> [Int] in
            let connection = try RawConnection(port: bed.server.port, receiveTimeout: 10)
            var statuses: [Int] = []
            // Eight answers, 600 ms apart: 4.2 s on one connection with an idle timeout of 2 s.
            for index in 0..<8 {
                if index > 0, connection.peerClosed(within: 0.6) { break }
                connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-0\r\n\r\n")
                guard let head = connection.receiveHead(), let status = RawConnection.status(Array(head.utf8)) else { break }
                _ = connection.receive(atLeast: 1)
                statuses.append(status)
            }
            return statuses
        }.value
        #expect(statuses == Array(repeating: 206, count: 8))
        #expect(try await MetricScrape.fastAnswers(bed.server, client: client) - before == 8)
        let quiet = try await Task.detached {
            let connection = try RawConnection(port: bed.server.port, receiveTimeout: 10)
            connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-0\r\n\r\n")
            _ = connection.receiveHead()
            return connection.peerClosed(within: 15)
        }.value
        #expect(quiet, "an idle connection was never closed")
    }
}

/// Downloads of a 5 MB asset, one test at a time: each streams megabytes for seconds, and together on a loaded
/// machine they starved the timing of every other suite.
@Suite(.serialized) struct LargeFastDownloadTests {
    /// A large asset: the fake speaks 1/15 s per character at 128 kbps, so 5,120 characters are about 5.4 MB,
    /// far more than the socket buffers hold.
    static func largeAsset(_ bed: VoiceTestbed) async throws -> (path: String, bytes: [UInt8]) {
        let posted: HTTPResult
        do {
            posted = try await bed.post(VoiceTestbed.requestBody(text: String(repeating: "A long chapter. ", count: 320)))
        } catch {
            Issue.record("generating the large asset: \(error)\n\(bed.server.terminate())\n\(bed.server.log.suffix(4000))")
            throw error
        }
        let path = try #require(json(posted.body)["url"] as? String, "\(posted.status) \(posted.body)")
        return (path, try FileSystem.readFile(bed.dataDirectory + path))
    }

    /// The send timeout holds for answers sent ahead of the router (by sendfile here; a held buffer is the
    /// slow reader's case below).
    @Test func aClientThatStopsReadingAFastDownloadIsDroppedAtTheSendTimeout() async throws {
        let cached = false
        // Long enough that the warm-up download and the five stalls are set up on a loaded machine before the
        // first stall times out (2 s cut the warm-up itself short with the whole suite running).
        let bed = try VoiceTestbed(environment: [
            "VOICEVAULT_SEND_TIMEOUT_SECONDS": "8", "VOICEVAULT_METRICS_PUBLIC": "true",
            "VOICEVAULT_UPSTREAM_TIMEOUT_MS": "60000",
            "VOICEVAULT_DOWNLOAD_CACHE_MIB": cached ? "256" : "0",
        ])
        let asset = try await Self.largeAsset(bed)
        #expect(asset.bytes.count > 4 << 20)
        let pid = bed.server.process.processIdentifier
        let baseline = try openDescriptors(of: pid)
        let before = try await MetricScrape.fastAnswers(bed.server)
        let readers = try await stalledReaders(port: bed.server.port, count: 5) { _ in asset.path }
        #expect(try await MetricScrape.fastAnswers(bed.server) - before == 5)
        #expect(try openDescriptors(of: pid) >= baseline + 5)
        #expect(try await eventually(within: .seconds(60)) { try openDescriptors(of: pid) <= baseline })
        withExtendedLifetime(readers) {}
    }

    /// The send timeout is for a client that takes nothing, not for a slow one: a reader taking 16 KiB every
    /// 10 ms needs several times the timeout for a 5 MB file, and gets all of it (the whole file is one write,
    /// so the socket stays unwritable from the first byte to the last).
    @Test func aSlowButSteadyReaderGetsAWholeLargeFile() async throws {
        let cached = true
        let bed = try VoiceTestbed(environment: [
            "VOICEVAULT_SEND_TIMEOUT_SECONDS": "1", "VOICEVAULT_UPSTREAM_TIMEOUT_MS": "60000",
            "VOICEVAULT_DOWNLOAD_CACHE_MIB": cached ? "256" : "0",
        ])
        let asset = try await Self.largeAsset(bed)
        if cached { _ = try await rawRequest(port: bed.server.port, "GET", asset.path) }  // held from now on
        let received = try await Task.detached { () -> [UInt8] in
            let connection = try RawConnection(port: bed.server.port, receiveBuffer: 16 << 10)
            connection.send("GET \(asset.path) HTTP/1.1\r\nHost: x\r\n\r\n")
            guard connection.receiveHead() != nil else { return [] }
            var body: [UInt8] = []
            while body.count < asset.bytes.count {
                let chunk = connection.receive(atLeast: 16 << 10)
                if chunk.isEmpty { break }
                body += chunk
                usleep(10_000)
            }
            return body
        }.value
        #expect(received.count == asset.bytes.count, "cut off after \(received.count) of \(asset.bytes.count) bytes")
        if received.count != asset.bytes.count {
            _ = bed.server.terminate()
            Issue.record("\(bed.server.log.split(separator: "\n").filter { $0.contains("closing") || $0.contains("GET") })")
        }
    }

    /// SIGTERM lets a download the fast path is sending finish, then the server exits cleanly.
    @Test func sigtermLetsAFastDownloadInProgressFinish() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_DOWNLOAD_CACHE_MIB": "0", "VOICEVAULT_UPSTREAM_TIMEOUT_MS": "60000"])
        let asset = try await Self.largeAsset(bed)
        let pid = bed.server.process.processIdentifier
        let received = try await Task.detached { () -> [UInt8] in
            let connection = try RawConnection(port: bed.server.port, receiveBuffer: 16 << 10)
            connection.send("GET \(asset.path) HTTP/1.1\r\nHost: x\r\n\r\n")
            guard let head = connection.receiveHead(), head.hasPrefix("HTTP/1.1 200") else { return [] }
            var body = connection.receive(atLeast: 64 << 10)
            kill(pid, SIGTERM)
            // Read the rest slowly enough that the answer is still being sent when the server quiesces.
            while body.count < asset.bytes.count {
                let chunk = connection.receive(atLeast: 256 << 10)
                if chunk.isEmpty { break }
                body += chunk
            }
            return body
        }.value
        #expect(received.count == asset.bytes.count)
        #expect(received == asset.bytes)
        #expect(bed.server.terminate() == 0)
    }

}
