import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing
import VaultCore
import VaultTestSupport
@testable import VaultServer

/// The edge's whole pipeline (`EdgeChannel.install`) on an `EmbeddedChannel`, as NIO tests its pipeline
/// handlers: bytes in at the head, routed requests read at the tail where Hummingbird's loop would read them,
/// answers written there, and the bytes that leave read back. No sockets and no router: each case is exact
/// about what reaches the router, in what order, and what the client sees.
@Suite struct EdgePipelineTests {
    /// One connection through the edge, with a stored, held asset the fast answers can send.
    final class Connection {
        let channel = EmbeddedChannel()
        let directory = TemporaryDirectory()
        let audioPath: String
        let audio: [UInt8]

        /// Output-side closes seen at the head.
        private let closes = OutputCloseRecorder()
        var outputClosed: Bool { closes.outputClosed }
        /// Reads asked of the socket so far.
        var reads: Int { closes.reads }

        init(fastAnswers: Bool, limits: ConnectionLimits = ConnectionLimits()) throws {
            let store = try AssetStore.open(directory: DataDirectory(root: directory.sub("data")))
            audio = SilentMP3.make(frames: 40)
            let hash = SHA256Digest.of("edge")
            _ = try store.publish(audio, hash: hash, bookId: .book("book"), metadata: sampleMetadata())
            audioPath = "/audio/book/\(hash.hex).mp3"
            let downloads = DownloadRoutes(
                store: store, cache: HotFileCache(capacity: 1 << 20, entryLimit: 1 << 18),
                responder: DownloadResponder(), heard: nil)
            // Held before the first request, as the router's first answer would have left it.
            _ = try downloads.cache.bytes(for: hash, path: store.directory.audioFile(book: .book("book"), hash: hash, format: OutputFormat.default))
            try channel.pipeline.syncOperations.addHandler(closes)
            try EdgeChannel.install(
                on: channel.pipeline.syncOperations,
                .init(fastAnswers: fastAnswers ? .testing(downloads: downloads) : nil, limits: limits),
                logger: Logger(label: "edge-test"))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        deinit { _ = try? channel.finish() }

        func send(_ text: String) throws {
            try channel.writeInbound(channel.allocator.buffer(string: text))
        }

        /// What reached the router's side, in order.
        func routed() throws -> [HTTPRequestPart] {
            var parts: [HTTPRequestPart] = []
            while let part = try channel.readInbound(as: HTTPRequestPart.self) { parts.append(part) }
            return parts
        }

        func routedTargets() throws -> [String] {
            try routed().compactMap { part in
                guard case let .head(head) = part else { return nil }
                return "\(head.method.rawValue) \(head.path ?? "")"
            }
        }

        /// Answers a routed request as the router would: `status` with `body` (or, `declaredLength`, with the
        /// `Content-Length` in `fields` and no body, as a HEAD is answered).
        func answer(_ status: HTTPResponse.Status, body: String = "", fields: HTTPFields = [:], declaredLength: Bool = false) throws {
            var headers = fields
            if !declaredLength { headers[.contentLength] = String(body.utf8.count) }
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: status, headerFields: headers)))
            if !body.isEmpty { try channel.writeOutbound(HTTPResponsePart.body(channel.allocator.buffer(string: body))) }
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }

        /// The bytes that left, as text (file regions read from their file).
        func sent() throws -> String {
            var out: [UInt8] = []
            while let data = try channel.readOutbound(as: IOData.self) {
                switch data {
                case let .byteBuffer(buffer): out += buffer.readableBytesView
                case let .fileRegion(region):
                    try region.fileHandle.withUnsafeFileDescriptor { descriptor in
                        var chunk = [UInt8](repeating: 0, count: region.readableBytes)
                        _ = chunk.withUnsafeMutableBytes {
                            pread(descriptor, $0.baseAddress, region.readableBytes, off_t(region.readerIndex))
                        }
                        out += chunk
                    }
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Every status line in what was sent (an answer may follow a body that has no line end).
        static func statusLines(_ text: String) -> [String] {
            text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { piece in
                let line = piece.components(separatedBy: "\r\n").first ?? ""
                // A status line: three digits and a space; "HTTP/1.1 " inside a body is not one.
                guard line.count > 4, line.prefix(3).allSatisfy(\.isNumber), line.dropFirst(3).first == " " else { return nil }
                return "HTTP/1.1 " + line
            }
        }
    }

    static let get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test(arguments: [true, false])
    func pipelinedRoutedRequestsReachTheRouterInOrderAndAnswersLeaveInOrder(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        try connection.send(Self.get + "GET /api/voice/x HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try connection.routedTargets() == ["GET /healthz", "GET /api/voice/x"])
        try connection.answer(.ok, body: "first")
        try connection.answer(.notFound, body: "second")
        let sent = try connection.sent()
        #expect(Connection.statusLines(sent) == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"])
        #expect(sent.range(of: "first")!.lowerBound < sent.range(of: "second")!.lowerBound)
    }

    /// A download before a routed request is answered at once; one pipelined behind it goes to the router
    /// too, so the answers keep their requests' order without the fast answers waiting on the router's.
    @Test func fastAndRoutedAnswersKeepTheirRequestsOrder() throws {
        let connection = try Connection(fastAnswers: true)
        let download = "GET \(connection.audioPath) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n"
        try connection.send(download + Self.get + download)
        #expect(Connection.statusLines(try connection.sent()) == ["HTTP/1.1 206 Partial Content"])
        #expect(try connection.routedTargets() == ["GET /healthz", "GET \(connection.audioPath)"])
        try connection.answer(.ok, body: "routed")
        try connection.answer(.partialContent, body: "0123456789")
        #expect(Connection.statusLines(try connection.sent()) == ["HTTP/1.1 200 OK", "HTTP/1.1 206 Partial Content"])
        // With nothing owed to the router any more, the next download is answered at the edge again.
        try connection.send(download)
        #expect(try connection.routed().isEmpty)
        #expect(Connection.statusLines(try connection.sent()) == ["HTTP/1.1 206 Partial Content"])
    }

    /// The answer to a HEAD carries the length of what a GET would, and no body, whoever answers.
    @Test(arguments: [true, false])
    func aHeadAnswerHasNoBody(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        try connection.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try connection.routedTargets() == ["HEAD /healthz"])
        try connection.answer(.ok, fields: [.contentLength: "13"], declaredLength: true)
        let sent = try connection.sent()
        #expect(sent.lowercased().contains("content-length: 13\r\n"), "\(sent)")
        #expect(sent.hasSuffix("\r\n\r\n"), "\(sent)")
        try connection.send("HEAD \(connection.audioPath) HTTP/1.1\r\nHost: x\r\n\r\n")
        if !fastAnswers {
            #expect(try connection.routedTargets() == ["HEAD \(connection.audioPath)"])
            return
        }
        let download = try connection.sent()
        #expect(download.hasPrefix("HTTP/1.1 200 OK\r\n") && download.hasSuffix("\r\n\r\n"), "\(download)")
        #expect(download.contains("Content-Length: \(connection.audio.count)\r\n"))
    }

    /// A head that arrives one byte at a time is read once, whole, whoever reads it.
    @Test(arguments: [true, false])
    func aRequestSplitAtEveryByteIsReadOnce(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        let routed = "GET /healthz?x=1 HTTP/1.1\r\nHost: x\r\nX-Long: \(String(repeating: "v", count: 40))\r\n\r\n"
        for byte in routed { try connection.send(String(byte)) }
        #expect(try connection.routedTargets() == ["GET /healthz?x=1"])
        try connection.answer(.ok)
        _ = try connection.sent()
        let download = "GET \(connection.audioPath) HTTP/1.1\r\nHost: x\r\nRange: bytes=2-5\r\n\r\n"
        for byte in download { try connection.send(String(byte)) }
        if fastAnswers {
            let sent = try connection.sent()
            #expect(Connection.statusLines(sent) == ["HTTP/1.1 206 Partial Content"], "\(sent)")
            #expect(try connection.routed().isEmpty)
        } else {
            #expect(try connection.routedTargets() == ["GET \(connection.audioPath)"])
        }
    }

    /// `Connection: close`: the answer says so, the output side closes after it, and a request behind it is
    /// neither routed nor answered.
    @Test(arguments: [true, false])
    func closeEndsTheConnectionAfterItsAnswer(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        try connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n" + Self.get)
        #expect(try connection.routedTargets() == ["GET /healthz"])
        try connection.answer(.ok, body: "bye")
        let sent = try connection.sent()
        #expect(Connection.statusLines(sent) == ["HTTP/1.1 200 OK"])
        #expect(sent.lowercased().contains("\r\nconnection: close\r\n"), "\(sent)")
        #expect(try connection.routed().isEmpty)
        // Whatever comes later on this connection is not a request it answers.
        if connection.channel.isActive {
            try connection.send(Self.get)
            #expect(try connection.routed().isEmpty)
            #expect(try connection.sent().isEmpty)
        }
    }

    /// The server quiesces while a routed answer is owed: the answer still goes out, says `Connection: close`,
    /// and the connection closes after it; nothing sent afterwards is routed.
    @Test(arguments: [true, false])
    func quiescingMidAnswerFinishesTheAnswerThenCloses(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        try connection.send(Self.get)
        #expect(try connection.routedTargets() == ["GET /healthz"])
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try connection.answer(.ok, body: "last")
        let sent = try connection.sent()
        #expect(Connection.statusLines(sent) == ["HTTP/1.1 200 OK"])
        #expect(sent.lowercased().contains("\r\nconnection: close\r\n"), "\(sent)")
        #expect(sent.hasSuffix("last"))
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.channel.isActive)
    }

    /// An HTTP/1.1 request without `Host` is refused at the edge and never routed.
    @Test(arguments: [true, false])
    func withoutHostTheEdgeRefuses(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        try connection.send("GET /healthz HTTP/1.1\r\n\r\n")
        #expect(try connection.routed().isEmpty)
        let sent = try connection.sent()
        #expect(Connection.statusLines(sent) == ["HTTP/1.1 400 Bad Request"], "\(sent)")
    }

    /// `Expect: 100-continue` is answered as the request goes to the router, before its body.
    @Test(arguments: [true, false])
    func aRoutedBodyThatWaitsForTheGoAheadGetsIt(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        try connection.send("PUT /storage/v1/object/b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        #expect(Connection.statusLines(try connection.sent()) == ["HTTP/1.1 100 Continue"])
        try connection.send("data")
        let parts = try connection.routed()
        #expect(parts.count == 3)
    }

    /// The client half-closes after its request: the request is still answered.
    @Test(arguments: [true, false])
    func aPeerThatHalfClosesStillGetsItsAnswer(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        try connection.send(Self.get)
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try connection.routedTargets() == ["GET /healthz"])
        try connection.answer(.ok, body: "still")
        let sent = try connection.sent()
        #expect(Connection.statusLines(sent) == ["HTTP/1.1 200 OK"] && sent.hasSuffix("still"), "\(sent)")
    }

    /// A client that pipelines downloads and stops reading: while the socket takes nothing, the edge answers
    /// nothing more; when it takes output again, the rest is answered, in order.
    @Test func aReaderThatStopsIsAnsweredWhenItReadsAgain() throws {
        let connection = try Connection(fastAnswers: true)
        let download = { (range: String) in "GET \(connection.audioPath) HTTP/1.1\r\nHost: x\r\nRange: bytes=\(range)\r\n\r\n" }
        connection.channel.isWritable = false
        connection.channel.pipeline.fireChannelWritabilityChanged()
        try connection.send(download("0-0") + download("1-1") + download("2-2"))
        let whileStalled = Connection.statusLines(try connection.sent()).count
        #expect(whileStalled <= 1, "answered \(whileStalled) while the socket took nothing")
        connection.channel.isWritable = true
        connection.channel.pipeline.fireChannelWritabilityChanged()
        let after = Connection.statusLines(try connection.sent()).count
        #expect(whileStalled + after == 3)
        #expect(try connection.routed().isEmpty)
    }

    /// A pipelined request that expects `100 Continue` behind an unanswered one gets it after that answer, never
    /// inside it.
    @Test(arguments: [true, false])
    func continueBehindAPipelinedAnswerWaitsForIt(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        try connection.send(
            Self.get + "PUT /storage/v1/object/b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        #expect(try connection.sent().isEmpty, "no go-ahead while the first answer is owed")
        #expect(try connection.routedTargets() == ["GET /healthz", "PUT /storage/v1/object/b/k"])
        try connection.answer(.ok, body: "first")
        let sent = try connection.sent()
        #expect(Connection.statusLines(sent) == ["HTTP/1.1 200 OK", "HTTP/1.1 100 Continue"], "\(sent)")
    }

    /// Quiescing an idle connection closes it at once; one busy with a fast answer closes once it is sent.
    @Test(arguments: [true, false])
    func quiescingAnIdleConnectionClosesIt(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers)
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.channel.isActive)
    }

    /// A download answered from the bytes with `Connection: close`: the answer says so, the output side closes
    /// after it (the owner heard of the answer through its event), and nothing later is answered.
    @Test func aByteLevelAnswerThatClosesClosesTheOutput() throws {
        let connection = try Connection(fastAnswers: true)
        try connection.send("GET \(connection.audioPath) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nConnection: close\r\n\r\n" + Self.get)
        let sent = try connection.sent()
        #expect(Connection.statusLines(sent) == ["HTTP/1.1 206 Partial Content"])
        #expect(sent.contains("\r\nConnection: close\r\n"), "\(sent)")
        connection.channel.embeddedEventLoop.run()
        #expect(try connection.routed().isEmpty)
        #expect(connection.outputClosed)
    }

    /// An early answer to a request whose body is still arriving: a little more of the body is read and the
    /// connection kept; past the allowance the edge stops reading and closes its output.
    @Test(arguments: [true, false])
    func aBodyLeftBehindAnEarlyAnswerIsTakenUpToItsAllowance(fastAnswers: Bool) throws {
        let connection = try Connection(fastAnswers: fastAnswers, limits: ConnectionLimits(lingeringBodyBytes: 8))
        try connection.send("PUT /storage/v1/object/b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        #expect(try connection.routedTargets() == ["PUT /storage/v1/object/b/k"])
        try connection.answer(.contentTooLarge, body: "no")
        _ = try connection.sent()
        try connection.send("12345678")
        #expect(!connection.outputClosed)
        var reads = connection.reads
        connection.channel.read()
        #expect(connection.reads == reads + 1, "within the allowance, reading goes on")
        try connection.send("9")
        #expect(connection.outputClosed)
        reads = connection.reads
        connection.channel.read()
        #expect(connection.reads == reads, "past it, the edge asks the socket for nothing more")
    }
}

/// Sits at the head of a test's pipeline and notes a close of the output side, which `EmbeddedChannel` does
/// not carry out itself, and each read that reaches the socket (as NIO's pipeline tests record reads).
final class OutputCloseRecorder: ChannelOutboundHandler {
    typealias OutboundIn = Any
    private(set) var outputClosed = false
    private(set) var reads = 0

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .output {
            outputClosed = true
            promise?.succeed()
            return
        }
        context.close(mode: mode, promise: promise)
    }
}
