import Dispatch
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOPosix
import VaultCore

/// Answers the two hot requests from parsed heads, ahead of Hummingbird's router: downloads
/// (`GET`/`HEAD /audio/<book>/<hash>.mp3`) and plain cache hits of `POST /api/voice`. One decision path
/// (`DownloadRoutes.decide`; `VoiceHitShortcut` with the service's plain-hit decision), the same envelope and
/// request record as the router's (`AnswerEnvelope`, `RequestRecorder`), a second transport: an answer then
/// costs the HTTP parser, an index read and one write, not the router's per-request machinery
/// (Docs/PERFORMANCE.md).
///
/// What it takes, and what it leaves to the router (which answers everything else as before):
/// - only `GET`/`HEAD` of the plainest `/audio/...` spelling (`AudioRequestTarget`), without a body or a
///   credential (a keyed request is logged with its caller, which is the router's business); bytes the
///   hot-file cache holds, or files too large to hold (opened on NIO's thread pool, never on the event loop, and
///   sent with `sendfile`). A file small enough to hold but not held yet goes to the router, which reads it in;
/// - `POST /api/voice` with a credential and a body of at most 64 KiB, collected here and answered only if it
///   is a plain hit; anything else goes to the router with its body;
/// - nothing while the router owes an answer on the connection (pipelined answers keep their order), and
///   nothing new once the server quiesces.
///
/// The connection's life (timeouts, `Connection: close`, 100-continue) is `ConnectionOwner`'s, in front of
/// this handler; it sees these answers pass as it sees the router's.
final class FastAnswerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let configuration: FastAnswers
    private var envelope: AnswerEnvelope
    /// A request this handler may answer, waiting for its end (and a voice request's body).
    private enum Held {
        case download(HTTPRequestHead)
        case voiceHit(HTTPRequestHead, body: ByteBuffer)
    }
    private var held: Held?
    /// Routed requests whose answer's end has not passed back; and whether one is still arriving.
    private var routedOwed = 0
    private var readingRouted = false
    /// A file is being opened for an answer: parts that arrive meanwhile wait, in order, and reading stops.
    private var openingFile = false
    private var waitingParts: CircularBuffer<HTTPServerRequestPart> = []
    private var readRequested = false
    private var quiescing = false

    init(_ configuration: FastAnswers) {
        self.configuration = configuration
        self.envelope = configuration.envelope
    }

    /// An answer written now is in order: nothing the router owes is pending.
    private var mayAnswer: Bool { routedOwed == 0 && !readingRouted && !quiescing }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if openingFile {
            waitingParts.append(part)
            return
        }
        process(part, context: context)
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case let .head(head):
            if mayAnswer {
                if configuration.downloads != nil, Self.mayAnswer(head) {
                    held = .download(head)
                    return
                }
                if configuration.voiceHits != nil, let length = Self.voiceBodyLength(head) {
                    held = .voiceHit(head, body: context.channel.allocator.buffer(capacity: length))
                    return
                }
            }
            routedOwed += 1
            readingRouted = true
            context.fireChannelRead(wrapInboundOut(part))
        case let .body(buffer):
            switch held {
            case .download:
                // A held download declared no body, so none can follow its head.
                return
            case .voiceHit(let head, var body):
                held = nil  // keeps the buffer uniquely referenced while it grows
                body.writeImmutableBuffer(buffer)
                held = .voiceHit(head, body: body)
            case nil:
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .end:
            switch held {
            case let .download(head):
                held = nil
                answer(head, context: context)
            case let .voiceHit(head, body):
                held = nil
                answerVoice(head, body: body, context: context)
            case nil:
                readingRouted = false
                context.fireChannelRead(wrapInboundOut(part))
            }
        }
    }

    /// The declared body length of a `POST /api/voice` that may be a plain hit: exactly that path, a
    /// credential, a `Content-Length` (no chunked body) of at most what the memo of validated bodies holds.
    static func voiceBodyLength(_ head: HTTPRequestHead) -> Int? {
        guard head.method == .POST, head.uri == "/api/voice" else { return nil }
        let headers = head.headers
        guard !headers.contains(name: "transfer-encoding"), carriesCredential(headers),
            let declared = headers.first(name: "content-length"), let length = Int(declared),
            (1...VoiceHitShortcut.maximumBodyBytes).contains(length)
        else { return nil }
        return length
    }

    /// A download's own properties that let this handler take it; the rest is `answer`'s to decide.
    static func mayAnswer(_ head: HTTPRequestHead) -> Bool {
        guard head.method == .GET || head.method == .HEAD, head.uri.utf8.starts(with: "/audio/".utf8) else { return false }
        let headers = head.headers
        guard !headers.contains(name: "transfer-encoding"), !carriesCredential(headers) else { return false }
        if let length = headers.first(name: "content-length"), length != "0" { return false }
        return true
    }

    static func carriesCredential(_ headers: HTTPHeaders) -> Bool {
        CallerIdentification.carriesCredential { headers.contains(name: $0.name) }
    }

    // MARK: Answering

    /// Decides with the route's own code, in two steps: what needs no blocking read is answered here (a
    /// refusal included); a file too large to hold is opened off the event loop and decided again; a file small
    /// enough to hold but not held yet goes to the router, which reads it into the cache. An index error goes
    /// to the router too, which answers and logs it.
    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let start = DispatchTime.now().uptimeNanoseconds
        guard let target = AudioRequestTarget(head.uri), let downloads = configuration.downloads else {
            return route(head, context: context)
        }
        let decision = try? downloads.decide(
            book: target.book, file: target.file, query: target.query, request: Self.downloadRequest(head),
            available: downloads.bytesAtHand)
        switch decision {
        case let .answer(answer)?:
            send(answer, for: head, target: target, start: start, context: context)
        case let .needsFile(hash, byteSize, path)? where byteSize > downloads.cache.entryLimit:
            openThenAnswer(path, hash: hash, head: head, target: target, downloads: downloads, start: start, context: context)
        case .needsFile?, nil:
            route(head, context: context)
        }
    }

    /// Opens the file on the thread pool; the answer is decided again with it open (the record may have
    /// changed meanwhile), in order: parts that arrive meanwhile wait.
    private func openThenAnswer(
        _ path: String, hash: SHA256Digest, head: HTTPRequestHead, target: AudioRequestTarget,
        downloads: DownloadRoutes, start: UInt64, context: ChannelHandlerContext
    ) {
        openingFile = true
        let descriptors = downloads.cache.descriptors
        let opening = configuration.fileOpening.runIfActive(eventLoop: context.eventLoop) { () -> OpenFile? in
            guard let file = OpenFile(path: path) else { return nil }
            descriptors?.keep(file, for: hash)
            return file
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        opening.whenComplete { result in
            let (handler, context) = bound.value
            handler.openingFile = false
            guard context.channel.isActive else { return }
            // Gone or unreadable since the index was read: the router says what that means.
            let decision = try? result.get().map { file in
                try downloads.decide(book: target.book, file: target.file, query: target.query, request: Self.downloadRequest(head)) { _ in
                    .ready(.file(file))
                }
            }
            if case let .answer(answer)?? = decision {
                handler.send(answer, for: head, target: target, start: start, context: context)
            } else {
                handler.route(head, context: context)
            }
            handler.processWaitingParts(context: context)
        }
    }

    private func processWaitingParts(context: ChannelHandlerContext) {
        while !openingFile, let part = waitingParts.popFirst() {
            process(part, context: context)
        }
        // Parts passed on outside a read: the router's inbound side delivers what it buffered only at a
        // read's completion.
        context.fireChannelReadComplete()
        if !openingFile, readRequested {
            readRequested = false
            context.read()
        }
    }

    /// Hands a held request (and the body collected for it) to the router, as if this handler were not there.
    private func route(_ head: HTTPRequestHead, body: ByteBuffer? = nil, context: ChannelHandlerContext) {
        routedOwed += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
        if let body, body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
        context.fireChannelRead(wrapInboundOut(.end(nil)))
    }

    /// A plain hit answered here, anything else routed with its body.
    private func answerVoice(_ head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let start = DispatchTime.now().uptimeNanoseconds
        guard let hit = configuration.voiceHits?.answer(headers: head.headers, body: body) else {
            return route(head, body: body, context: context)
        }
        var fields = JSONResponse.headers(hit.headers)
        fields[.contentLength] = String(hit.body.readableBytes)
        var facts = Exchange.Facts()
        facts.caller = hit.caller
        facts.contentHash = hit.hash
        facts.cache = .hit
        emit(
            .ok, fields, pieces: [.byteBuffer(hit.body)], for: head, endpoint: "/api/voice", path: "/api/voice", facts: facts, start: start,
            context: context)
    }

    /// The planner's view of the request, read from the parsed head as the router reads its `HTTPFields`.
    /// llhttp has already refused any field name that is not a token.
    static func downloadRequest(_ head: HTTPRequestHead) -> DownloadRequest {
        DownloadResponder.downloadRequest(method: head.method == .HEAD ? .head : .get) { head.headers.joinedValues($0.name.canonicalName) }
    }

    private func send(
        _ answer: DownloadAnswer, for head: HTTPRequestHead, target: AudioRequestTarget,
        start: UInt64, context: ChannelHandlerContext
    ) {
        let (status, fields, wire) = answer.wire(withBody: head.method != .HEAD)
        let body = WireBody(wire)
        emit(
            status, fields.merged, pieces: body.pieces, for: head, endpoint: DownloadRoutes.endpoint, path: target.path,
            facts: Exchange.Facts(), start: start, context: context, sent: body.whenWritten)
    }

    /// Writes an answer decided here: the envelope, the record, the bytes; `sent` runs once they are written
    /// (or the connection died).
    private func emit(
        _ status: HTTPResponse.Status, _ answerFields: HTTPFields, pieces: [IOData], for head: HTTPRequestHead,
        endpoint: String, path: @autoclosure () -> String, facts: Exchange.Facts, start: UInt64, context: ChannelHandlerContext,
        sent whenSent: (@Sendable () -> Void)? = nil
    ) {
        var fields = answerFields
        envelope.apply(to: &fields, origin: head.headers.joinedValues("origin"), closing: false)
        configuration.answered?.increment()
        configuration.recorder.record(
            method: (try? HTTPRequest.Method(head.method)) ?? .get, endpoint: endpoint, path: path(), status: Int(status.code),
            facts: facts, startedAt: start, logger: configuration.logger, newRequestID: true)
        // Through the HTTP encoder, though it has nothing to add to an answer framed by its Content-Length:
        // it pairs each response with the method of the request it answers (to leave out a HEAD's body), so
        // an answer that went around it would shift that pairing for the router's next answer.
        context.write(
            wrapOutboundOut(
                .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: Int(status.code)), headers: HTTPHeaders(fields)))),
            promise: nil)
        for piece in pieces { context.write(wrapOutboundOut(.body(piece)), promise: nil) }
        guard let whenSent else { return context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
        let sent = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: sent)
        sent.futureResult.whenComplete { _ in whenSent() }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only the router's answers pass here (this handler's own are written from its place, in front).
        if case .end = unwrapOutboundIn(data) { routedOwed = max(0, routedOwed - 1) }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if openingFile {
            readRequested = true
            return
        }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { quiescing = true }
        context.fireUserInboundEventTriggered(event)
    }
}
