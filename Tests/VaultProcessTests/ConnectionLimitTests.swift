import Foundation
import Testing
import VaultTestSupport
import VaultCore
import VaultServer
#if canImport(Glibc)
import Glibc
#endif

/// Issue 10 items 3 and 4, on a real server process: what connections that send nothing, send slowly, or
/// leave a body unread hold of it, read from `/proc/<pid>/fd`.
@Suite struct ConnectionLimitTests {
    let directory = TemporaryDirectory()

    func startServer(_ environment: [String: String]) throws -> ServerProcess {
        try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", directory.path + "/data"],
            environment: ["VOICEVAULT_API_KEYS": "client-key"].merging(environment) { $1 })
    }

    /// Sockets the server holds beyond its own files (its listening socket and data directory included).
    func connections(_ server: ServerProcess) throws -> Int {
        try openDescriptors(of: server.process.processIdentifier)
    }

    /// A request with `Connection: close` and a 4 MB body the server never reads (refused early, or sent to
    /// `/healthz`) left the socket and its receive queue owned by the process until restart.
    @Test func bodiesLeftUnreadBehindAnAnswerDoNotHoldTheSocket() async throws {
        // Lingering long enough that the sockets are seen held on a loaded machine (5 s failed in CI with
        // the crash test running alongside).
        let server = try startServer(["VOICEVAULT_LINGER_SECONDS": "12"])
        let baseline = try connections(server)
        let (attackers, peak) = try await Task.detached { () -> ([RawConnection], Int) in
            var peak = 0
            let attackers = try (0..<30).map { index -> RawConnection in
                let connection = try RawConnection(port: server.port)
                let target = index % 2 == 0 ? "POST /api/voice" : "GET /healthz"
                connection.send("\(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4000000\r\n\r\n")
                connection.send([UInt8](repeating: 0x61, count: 256 << 10))
                _ = connection.receiveHead()
                peak = max(peak, try connections(server))
                return connection
            }
            return (attackers, peak)
        }.value
        // The guard that the attack really held sockets, so the release below is not vacuous.
        #expect(peak >= baseline + 10, "at most \(peak - baseline) sockets were ever held")
        // Released within the lingering time, though the clients keep their ends open.
        #expect(try await eventually(within: .seconds(40)) { try connections(server) <= baseline })
        withExtendedLifetime(attackers) {}
    }

    /// On a keep-alive connection, an early answer used to read and discard the whole refused body before
    /// the next request; now the connection closes after a small allowance.
    @Test func anEarlyRefusalDoesNotReadTheWholeRefusedBody() async throws {
        let server = try startServer([:])
        let closed = try await Task.detached {
            let connection = try RawConnection(port: server.port, receiveTimeout: 20)
            connection.send("POST /api/voice HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
            guard let head = connection.receiveHead(), head.hasPrefix("HTTP/1.1 401") else { return false }
            // Keep sending: the server closes once the allowance past its answer is used up.
            let chunk = [UInt8](repeating: 0x61, count: 64 << 10)
            for _ in 0..<2_000 where !connection.send(chunk) { return true }
            return false
        }.value
        #expect(closed, "the server read 128 MB of a refused body")
    }

    /// Lingering is for the body of the request just answered: a pipelined next request's large body,
    /// arriving while the previous answer ends, is read in full.
    @Test func aPipelinedUploadBehindAnAnsweredRequestIsNotCutShort() async throws {
        let server = try startServer([:])
        #expect(
            try await httpRequest(
                "POST", server.baseURL + "/storage/v1/bucket", headers: ["authorization": "Bearer client-key"],
                body: #"{"id":"up"}"#
            ).status == 200)
        let size = 3 << 20
        let heads = try await Task.detached { () -> [String] in
            let connection = try RawConnection(port: server.port, receiveTimeout: 30)
            connection.send(
                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /storage/v1/object/up/big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer client-key\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: \(size)\r\nConnection: close\r\n\r\n")
            connection.send([UInt8](repeating: 0x62, count: size))
            let answer = String(decoding: connection.receiveAll(limit: 1 << 20), as: UTF8.self)
            // Bodies end without CRLF, so a status line may follow one on the same "line".
            return answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(6)) }
        }.value
        #expect(heads == ["200 OK", "200 OK"], "\(heads)")
    }

    @Test func idleAndSlowlorisConnectionsAreClosedAtTheIdleTimeout() async throws {
        let server = try startServer(["VOICEVAULT_IDLE_TIMEOUT_SECONDS": "12"])
        let baseline = try connections(server)
        let made = ContinuousClock.now
        let idle = try await Task.detached {
            try (0..<50).map { _ in try RawConnection(port: server.port) }
        }.value
        // Held, not refused: none is closed before the idle timeout could have passed for it. (Counting all 50
        // open at once depended on the server accepting them all within the timeout, which a loaded CI machine
        // did not; that each one is closed by the server below already proves it was accepted.)
        for connection in idle where connection.peerClosed(within: 0.01) {
            #expect(ContinuousClock.now - made >= .seconds(12), "an idle connection was closed before the idle timeout")
        }
        #expect(try await eventually(within: .seconds(60)) { try connections(server) > baseline })
        // A header byte every 200 ms: the header is never complete, so the connection is closed at the
        // idle timeout however steadily bytes arrive.
        let slowloris = try await Task.detached {
            let connection = try RawConnection(port: server.port)
            let start = ContinuousClock.now
            for byte in Array("GET /healthz HTTP/1.1\r\nHost: x\r\n".utf8) + Array(repeating: UInt8(ascii: "X"), count: 1_000) {
                guard connection.send([byte]), !connection.peerClosed(within: 0.2) else { return ContinuousClock.now - start }
            }
            return ContinuousClock.now - start
        }.value
        #expect(slowloris < .seconds(40), "a slowloris connection was held for \(slowloris)")
        #expect(try await eventually(within: .seconds(40)) { try connections(server) <= baseline })
        for connection in idle { #expect(connection.peerClosed(within: 1)) }
    }

    @Test func theConnectionCapHoldsAndIsLogged() async throws {
        let server = try startServer(["VOICEVAULT_MAX_CONNECTIONS": "8"])
        let held = try await Task.detached {
            try (0..<8).map { _ in try RawConnection(port: server.port) }
        }.value
        #expect(try await eventually(within: .seconds(60)) { (try? connections(server)) ?? 0 >= 8 })
        // The ninth waits in the backlog: no answer while the eight are open...
        let waiting = try RawConnection(port: server.port, receiveTimeout: 1)
        waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let early = await Task.detached { waiting.receiveHead() }.value
        #expect(early == nil)
        // ... and is answered once they go.
        withExtendedLifetime(held) {}
        _ = consume held
        let late = try await Task.detached { () -> String? in
            let connection = try RawConnection(port: server.port, receiveTimeout: 10)
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return connection.receiveHead()
        }.value
        #expect(late?.hasPrefix("HTTP/1.1 200") == true)
        _ = server.terminate()
        #expect(server.log.contains("connection limit reached"))
        #expect(server.log.contains("VOICEVAULT_MAX_CONNECTIONS"))
    }

    /// A response the client stops reading was held forever (Hummingbird times out idle connections only
    /// between requests); now it is abandoned after the send timeout.
    @Test func aClientThatStopsReadingIsDroppedAtTheSendTimeout() async throws {
        // Long enough that the upload and the five stalls are set up on a loaded machine before the first
        // stall times out (2 and 8 s failed with the whole suite running).
        let server = try startServer(["VOICEVAULT_SEND_TIMEOUT_SECONDS": "15"])
        let key = ["authorization": "Bearer client-key"]
        try await createPublicBucket("big", on: server, headers: key)
        let upload = try await httpRequest(
            "POST", server.baseURL + "/storage/v1/object/big/a.bin",
            headers: key.merging(["content-type": "application/octet-stream"]) { $1 },
            body: String(repeating: "x", count: 8 << 20))
        #expect(upload.status == 200, "\(upload.body)")
        let baseline = try connections(server)
        let readers = try await stalledReaders(port: server.port, count: 5) { _ in "/storage/v1/object/public/big/a.bin" }
        #expect(try connections(server) >= baseline + 5)
        #expect(try await eventually(within: .seconds(90)) { try connections(server) <= baseline })
        withExtendedLifetime(readers) {}
    }
}

@Suite struct ConnectionLimitsTests {
    @Test func theDefaultCapLeavesDescriptorsForFilesAndTheIndex() {
        #expect(ConnectionLimits.defaultMaximumConnections(descriptorLimit: 1_024) == 384)
        #expect(ConnectionLimits.defaultMaximumConnections(descriptorLimit: 65_536) == 32_640)
        #expect(ConnectionLimits.defaultMaximumConnections(descriptorLimit: 100) == 16)
        #expect(ConnectionLimits(idleTimeoutSeconds: 0, maximumConnections: -5).maximumConnections == 1)
    }

    @Test func theSoftDescriptorLimitIsRaisedToTheHardOne() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let raised = DescriptorLimit.raiseSoftLimit()
        #expect(raised == Int(clamping: min(limit.rlim_max, 1 << 20)))
    }
}

/// What a response whose client never reads may hold, for objects larger than anything the cache keeps, on every
/// surface that streams a file: one chunk in NIO's queue and one being written, not megabytes. (Issue 10: held
/// buffers pinned by stalled responses, 231 MB to 1 GB; issue 25: streamed reads queued ahead of the socket's
/// writability, 52 to 736 MB for eight 15 MB objects, and more with each wave.)
@Suite struct StalledDownloadMemoryTests {
    static let objectBytes = 15_000_000

    @Test func neverReadingClientsHoldAChunkEachOnEverySurfaceAndWavesDoNotGrow() async throws {
        let directory = TemporaryDirectory()
        // A 32 MiB download cache: files up to 4 MiB held, so every 15 MB object streams from its file.
        let server = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", directory.path + "/data"],
            environment: [
                "VOICEVAULT_API_KEYS": "client-key", "VOICEVAULT_DOWNLOAD_CACHE_MIB": "32", "VOICEVAULT_MAX_UPLOAD_BYTES": "\(32 << 20)",
                "VOICEVAULT_S3_ACCESS_KEY_ID": "s3-key", "VOICEVAULT_S3_SECRET_ACCESS_KEY": "s3-secret-of-some-length",
            ])
        let key = ["authorization": "Bearer client-key"]
        try await createPublicBucket("open", on: server, headers: key)
        var signed: [String] = []
        for index in 0..<8 {
            let upload = try await httpRequest(
                "POST", server.baseURL + "/storage/v1/object/open/\(index).bin",
                headers: key.merging(["content-type": "application/octet-stream"]) { $1 },
                body: String(repeating: String(index), count: Self.objectBytes), timeout: .seconds(120))
            #expect(upload.status == 200)
            let grant = try await httpRequest(
                "POST", server.baseURL + "/storage/v1/object/sign/open/\(index).bin", headers: key,
                body: #"{"expiresIn":600}"#)
            signed.append("/storage/v1" + (try #require(json(grant.body)["signedURL"] as? String)))
        }
        let presigned = (0..<8).map { Self.presignedGet(path: "/storage/v1/s3/open/\($0).bin") }
        let surfaces: [@Sendable (Int) -> String] = [
            { "/storage/v1/object/public/open/\($0 % 8).bin" },
            { "/storage/v1/object/authenticated/open/\($0 % 8).bin" },
            { [signed] in signed[$0 % 8] },
            { [presigned] in presigned[$0 % 8] },
        ]
        let pid = server.process.processIdentifier
        let baseline = try residentBytes(of: pid)
        let idleDescriptors = try openDescriptors(of: pid)
        var afterWaves: [Int] = []
        for wave in 0..<3 {
            // The first wave on public downloads alone (the finding), then every surface, a quarter each.
            var readers = try await stalledReaders(port: server.port, count: 100, headers: { _ in ["Authorization: Bearer client-key"] }) {
                wave == 0 ? surfaces[0]($0) : surfaces[$0 % surfaces.count]($0 / surfaces.count)
            }
            let during = try residentBytes(of: pid)
            #expect(
                during - baseline < 100 << 20, "wave \(wave): 100 stalled downloads of 15 MB objects took \((during - baseline) >> 20) MiB")
            // Closed with the answer unread: each connection is reset, as a client that gave up would.
            readers.removeAll()
            // Gone connections give their memory back, or leave it for the next wave to reuse.
            try await waitUntil("the server closed wave \(wave)'s connections", timeout: .seconds(60)) {
                try openDescriptors(of: pid) <= idleDescriptors + 4
            }
            afterWaves.append(try residentBytes(of: pid))
        }
        // What the allocator keeps for reuse varies with how many threads took part (other suites run beside this
        // one), so the bound is on the total, not on a wave's difference: before, each wave added its own.
        #expect(
            afterWaves.allSatisfy { $0 - baseline < 64 << 20 },
            "after the waves: \(afterWaves.map { ($0 - baseline) >> 20 }) MiB over the \(baseline >> 20) MiB before them")
    }

    /// A presigned S3 GET for `Host: x` (what `stalledReaders` sends), made with the server's own SigV4 parts.
    static func presignedGet(path: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let amzDate = formatter.string(from: Date())
        let scope = "\(amzDate.prefix(8))/us-east-1/s3/aws4_request"
        let parameters = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "s3-key/\(scope)"), ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", "600"), ("X-Amz-SignedHeaders", "host"),
        ].map { (name: $0.0, value: $0.1) }
        let query = SigV4.canonicalQuery(parameters)
        let canonical = SigV4.canonicalRequest(
            method: "GET", canonicalURI: path, canonicalQuery: query, headers: [(name: "host", value: "x")],
            signedHeaders: ["host"], payloadHash: SigV4.unsignedPayload)
        let key = SigV4.signingKey(secret: "s3-secret-of-some-length", date: String(amzDate.prefix(8)), region: "us-east-1", service: "s3")
        let signature = SigV4.signature(SigV4.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical), key: key)
        return "\(path)?\(query)&X-Amz-Signature=\(signature)"
    }
}

/// RFC 9112 §3.2: HTTP/1.1 without `Host` is a 400; HTTP/1.0 may omit it.
@Suite struct HostHeaderTests {
    @Test func http11WithoutHostIsRefusedAndHttp10IsNot() async throws {
        let directory = TemporaryDirectory()
        let server = try ServerProcess(arguments: ["serve", "--port", "0", "--data-dir", directory.path + "/data"])
        func ask(_ request: String) async throws -> Int? {
            try await Task.detached {
                let connection = try RawConnection(port: server.port, receiveTimeout: 10)
                connection.send(request)
                return RawConnection.status(connection.receiveAll())
            }.value
        }
        #expect(try await ask("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n") == 400)
        #expect(try await ask("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 200)
        let old = try await Task.detached { () -> String? in
            let connection = try RawConnection(port: server.port, receiveTimeout: 10)
            connection.send("GET /healthz HTTP/1.0\r\n\r\n")
            return connection.receiveHead()
        }.value
        #expect(old?.hasSuffix("\r\n\r\n") == true && old?.contains(" 200 ") == true, "\(old ?? "no answer")")
    }
}

/// A public Storage bucket, created through the REST surface with `headers`' key.
private func createPublicBucket(_ name: String, on server: ServerProcess, headers: [String: String]) async throws {
    let created = try await httpRequest(
        "POST", server.baseURL + "/storage/v1/bucket", headers: headers, body: #"{"id":"\#(name)","public":true}"#)
    #expect(created.status == 200, "\(created.body)")
}
