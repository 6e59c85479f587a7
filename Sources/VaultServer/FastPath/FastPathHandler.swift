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

/// Answers the two hot requests in the channel pipeline, ahead of Hummingbird's router: downloads
/// (`GET`/`HEAD /audio/<book>/<hash>.mp3`) and plain cache hits of `POST /api/voice`. One decision path
/// (`DownloadRoutes.decide` with the planner; `VoiceHitShortcut` with the service's plain-hit decision), the
/// same headers, error shape, log line and metrics, a second transport: an answer then costs the HTTP parser,
/// an index read and one write, not the router's per-request machinery (measured in Docs/PERFORMANCE.md).
///
/// What it takes of downloads, and what it leaves to the router (which answers everything else as before):
/// - only `GET`/`HEAD` of the plainest `/audio/...` spelling (`AudioRequestTarget`), without a body or a
///   credential (a keyed request is logged with its caller, which is the router's business);
/// - only when nothing the router owes an answer for is pending on the connection, so pipelined answers
///   keep their order (`ConnectionActivity`);
/// - bytes held by the hot-file cache (sent as the shared buffer) or files too large to hold (opened on
///   NIO's thread pool, never on the event loop, and sent with `sendfile` through a `FileRegion`). A file
///   small enough to hold but not held yet goes to the router, which reads it into the cache.
///
/// Of `POST /api/voice` it takes a body of at most 64 KiB with a credential, collects it, and answers only a
/// plain hit (`VoiceHitShortcut` says which); any other request goes to the router with its body.
///
/// It also owns the connection's idle timeout, because only here are both transports' requests seen.
/// It sits before the HTTP/1 to HTTP types codec (it writes `FileRegion`s, which HTTP types cannot carry),
/// after the `Host` check (`EdgeChannel` declares the order).
final class FastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What every connection's handler shares.
    struct Configuration: Sendable {
        /// `/audio` downloads; nil leaves them to the router (with `voiceHits` nil too, the handler only keeps
        /// the idle timeout).
        var downloads: DownloadRoutes?
        var crossOrigin: CrossOriginPolicy
        var metrics: HTTPRequestMetrics?
        /// Where each answer's request line goes; nil with the access log off.
        var logger: Logger?
        var serverName: String
        var idleTimeout: TimeAmount
        var fileOpening: NIOThreadPool
        /// `voicevault_http_fast_path_responses_total`: shows an operator (and the tests) that it is in use.
        var fastAnswers: Counter?
        /// `voicevault_http_fast_path_direct_responses_total`: the share of those answered from the bytes,
        /// beneath NIO's HTTP/1 codec (`DirectDownloadHandler`).
        var directAnswers: Counter?
        /// Plain cache hits of `POST /api/voice`; nil leaves them to the router.
        var voiceHits: VoiceHitShortcut?
    }

    private let configuration: Configuration
    private var activity: ConnectionActivity
    /// A request this handler may answer, waiting for its end (and a voice request's body).
    private enum Held {
        case download(HTTPRequestHead)
        case voiceHit(HTTPRequestHead, body: ByteBuffer)
    }
    private var held: Held?
    /// A file is being opened for an answer: parts that arrive meanwhile wait, in order, and reading stops.
    private var openingFile = false
    private var waitingParts: CircularBuffer<HTTPServerRequestPart> = []
    private var readRequested = false
    /// A `Connection: close` request was answered here: the output side closes once the answer is sent,
    /// and nothing read after it is answered.
    private var closeWhenIdle = false
    /// The server is quiescing: the connection closes as soon as what it owes is sent.
    private var quiescing = false
    /// A routed request asked for the connection to end (HTTP/1.0 without keep-alive, or `close` among
    /// `Connection`'s options): nothing read after it is passed on, so it is the last routed request, and its
    /// answer (the one begun while it alone is in flight) carries `Connection: close`.
    private var closingRequestRouted = false
    /// That request was read to its end: later bytes are not requests this connection answers.
    private var inputFinished = false
    private var idleTimer: Scheduled<Void>?
    private var date = (second: Int64.min, field: HTTPField(name: .date, value: ""))
    private lazy var serverField = HTTPField(name: .server, value: configuration.serverName)
    private static let noSniffField = HTTPField(name: .xContentTypeOptions, value: "nosniff")
    private static let closeField = HTTPField(name: .connection, value: "close")
    /// For the calls `DirectDownloadHandler` makes from its own place in the pipeline (same event loop).
    private var ownContext: ChannelHandlerContext?

    init(_ configuration: Configuration) {
        self.configuration = configuration
        self.activity = ConnectionActivity(now: DispatchTime.now().uptimeNanoseconds)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard !closeWhenIdle || held != nil, !inputFinished else { return }
        if openingFile {
            waitingParts.append(part)
            return
        }
        process(part, context: context)
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case let .head(head):
            if !quiescing, activity.mayAnswerDirectly {
                if configuration.downloads != nil, Self.mayAnswer(head) {
                    held = .download(head)
                    activity.directAnswerStarted(now: Self.now)
                    return
                }
                if configuration.voiceHits != nil, let length = Self.voiceBodyLength(head) {
                    held = .voiceHit(head, body: context.channel.allocator.buffer(capacity: length))
                    activity.directRequestStarted(now: Self.now)
                    ensureIdleCheck(context)
                    // Its body is collected here, so the go-ahead is sent here too.
                    Self.acceptExpectedBody(head, context: context, handler: self)
                    return
                }
            }
            activity.routedRequestStarted(now: Self.now)
            ensureIdleCheck(context)
            Self.acceptExpectedBody(head, context: context, handler: self)
            forwardRouted(head, context: context)
        case let .body(buffer):
            switch held {
            case .download:
                // A held download declared no body, so none can follow its head.
                return
            case .voiceHit(let head, var body):
                held = nil  // keeps the buffer uniquely referenced while it grows
                body.writeImmutableBuffer(buffer)
                held = .voiceHit(head, body: body)
                activity.directBodyRead(now: Self.now)
                return
            case nil:
                activity.routedBodyRead(now: Self.now)
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .end:
            switch held {
            case let .download(head):
                held = nil
                answer(head, context: context)
                return
            case let .voiceHit(head, body):
                held = nil
                activity.directRequestRead(now: Self.now)
                answerVoice(head, body: body, context: context)
                return
            case nil:
                break
            }
            context.fireChannelRead(wrapInboundOut(part))
            if closingRequestRouted { inputFinished = true }
            activity.routedRequestRead(now: Self.now)
            settled(context)
        }
    }

    /// Passes a routed request's head on. One that asks for the connection to end is passed on with
    /// `Connection: close` alone (HTTP/1.0 without keep-alive says so by omission, `keep-alive, close` with
    /// another option): the one spelling Hummingbird ends a connection on.
    private func forwardRouted(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard !head.isKeepAlive else { return context.fireChannelRead(wrapInboundOut(.head(head))) }
        var closing = head
        closing.headers.replaceOrAdd(name: "connection", value: "close")
        closingRequestRouted = true
        context.fireChannelRead(wrapInboundOut(.head(closing)))
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

    /// `Expect: 100-continue` (S3 SDKs send it on every PUT with a body): answered `100 Continue` as the
    /// request goes to the router, so the client sends its body at once instead of waiting a second for a
    /// go-ahead. A request the router then refuses has its body read and dropped (Hummingbird drains it), so
    /// the connection stays in step; refusing without the go-ahead would leave the client never sending a body
    /// the server is waiting for.
    static func acceptExpectedBody(_ head: HTTPRequestHead, context: ChannelHandlerContext, handler: FastPathHandler) {
        guard head.version.major == 1, head.version.minor >= 1,
            head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" })
        else { return }
        context.writeAndFlush(handler.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
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
        activity.routedRequestStarted(now: Self.now)
        activity.directAnswerFinished(now: Self.now)
        forwardRouted(head, context: context)
        if let body, body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
        context.fireChannelRead(wrapInboundOut(.end(nil)))
        if closingRequestRouted { inputFinished = true }
        activity.routedRequestRead(now: Self.now)
    }

    /// A plain hit answered here, anything else routed with its body.
    private func answerVoice(_ head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let start = DispatchTime.now().uptimeNanoseconds
        guard let hit = configuration.voiceHits?.answer(headers: head.headers, body: body) else {
            return route(head, body: body, context: context)
        }
        var fields = JSONResponse.headers(hit.headers)
        fields[.contentLength] = String(hit.body.readableBytes)
        var facts: Logger.Metadata = ["hash": "\(hit.hash.hex.prefix(12))", "cache": "\(Exchange.CacheOutcome.hit.rawValue)"]
        if hit.caller != .anonymous { facts["caller"] = "\(hit.caller.label)" }
        emit(
            .ok, fields, pieces: [.byteBuffer(hit.body)], for: head, endpoint: "/api/voice", path: "/api/voice", facts: facts,
            start: start, context: context)
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
            status, fields.merged, pieces: body.pieces, for: head, endpoint: DownloadRoutes.endpoint, path: target.path, facts: [:],
            start: start, context: context, sent: body.whenWritten)
    }

    /// Writes an answer decided here: what the router's middleware and Hummingbird add to every answer, the
    /// count, the log line and metrics, the bytes; `sent` runs once they are written (or the connection died).
    private func emit(
        _ status: HTTPResponse.Status, _ answerFields: HTTPFields, pieces: [IOData], for head: HTTPRequestHead,
        endpoint: String, path: String, facts: Logger.Metadata, start: UInt64, context: ChannelHandlerContext,
        sent whenSent: @escaping @Sendable () -> Void = {}
    ) {
        var fields = answerFields
        let closing = finish(&fields, origin: head.headers.joinedValues("origin"), keepAlive: head.isKeepAlive)
        if closing { closeWhenIdle = true }

        // Counted and logged before the first byte goes out, as the router's middleware does: whoever reads
        // the answer and then the metrics finds it counted.
        configuration.fastAnswers?.increment()
        record(
            method: (try? HTTPRequest.Method(head.method)) ?? .get, endpoint: endpoint, path: path, status: Int(status.code),
            facts: facts, start: start)
        // Through the HTTP encoder, though it has nothing to add to an answer framed by its Content-Length:
        // it pairs each response with the method of the request it answers (to leave out a HEAD's body), so
        // an answer that went around it would shift that pairing for the router's next answer.
        context.write(
            wrapOutboundOut(
                .head(
                    HTTPResponseHead(
                        version: .http1_1, status: .init(statusCode: Int(status.code)),
                        headers: HTTPHeaders(fields)))), promise: nil)
        for piece in pieces { context.write(wrapOutboundOut(.body(piece)), promise: nil) }
        let sent = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: sent)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        sent.futureResult.whenComplete { _ in
            whenSent()
            let (handler, context) = bound.value
            handler.activity.directAnswerFinished(now: Self.now)
            handler.settled(context)
        }
    }

    /// Adds what the router's middleware and Hummingbird add to every answer: the cross-origin headers, `nosniff`,
    /// `Date`, `Server`, and `Connection: close` when the request asked for it or the server is quiescing (then
    /// true: the connection closes once the answer is sent).
    func finish(_ fields: inout HTTPFields, origin: String?, keepAlive: Bool) -> Bool {
        let (added, closing) = finishingFields(origin: origin, keepAlive: keepAlive)
        Self.add(added, to: &fields)
        return closing
    }

    /// `added` set in `fields`: each replaces a field of its name, or is appended.
    static func add(_ added: [HTTPField], to fields: inout HTTPFields) {
        for field in added { fields.set(field.name, field.value) }
    }

    /// Every name `finishingFields` may give a field: the cross-origin ones, `X-Content-Type-Options`, `Date`,
    /// `Server` and `Connection` (a test holds it to every configuration). Download answers are prepared
    /// knowing whether they carry any of them, so that each answer need not search its fields for each.
    static let finishingNames: [HTTPField.Name] = [
        .accessControlAllowOrigin, .accessControlExposeHeaders, .vary, .xContentTypeOptions, .date, .server, .connection,
    ]

    /// What `finish` adds, as a list: the byte-level path writes them after the answer's own fields instead of
    /// adding them to its `HTTPFields` (four appends through `RangeReplaceableCollection` were measurable on
    /// every download: Docs/PERFORMANCE.md, "Index reads, record decoding and the range answer"). The fields
    /// are made once, the date once a second.
    func finishingFields(origin: String?, keepAlive: Bool) -> (fields: [HTTPField], closing: Bool) {
        var added: [HTTPField] = []
        added.reserveCapacity(6)
        if configuration.crossOrigin.origins != .none, let origin {
            added.append(contentsOf: configuration.crossOrigin.responseHeaders(origin: origin))
        }
        added.append(Self.noSniffField)
        added.append(currentDate())
        added.append(serverField)
        guard !keepAlive || quiescing else { return (added, false) }
        added.append(Self.closeField)
        return (added, true)
    }

    /// The answer's metrics and request log line, as the router's middleware records them.
    /// `path` is made only when the line is written (a download's is interpolated).
    func record(
        method: HTTPRequest.Method, endpoint: String, path: @autoclosure () -> String, status: Int, facts: Logger.Metadata,
        start: UInt64
    ) {
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        configuration.metrics?.record(endpoint: endpoint, method: method, status: status, nanoseconds: elapsed)
        guard let logger = configuration.logger, logger.logLevel <= .info else { return }
        var metadata = RequestLogMiddleware.metadata(
            method: method.rawValue, path: path(), status: status,
            microseconds: Int64(elapsed / 1_000))
        metadata.merge(facts) { $1 }
        metadata["hb.request.id"] = "\(RequestID())"
        logger.info("request", metadata: metadata)
    }

    private func currentDate() -> HTTPField {
        let second = Int64(time(nil))
        if second != date.second { date = (second, HTTPField(name: .date, value: HTTPDate.format(second))) }
        return date.field
    }

    // MARK: Answers sent beneath the codec

    /// The server is quiescing: no new answers ahead of the router.
    var isQuiescing: Bool { quiescing }

    /// `DirectDownloadHandler` (in front of the codec) took a request: counted and logged here as this
    /// handler's own answers are, and the connection is busy until `directAnswerSent`.
    func directAnswerStarted() {
        configuration.fastAnswers?.increment()
        configuration.directAnswers?.increment()
        activity.directAnswerStarted(now: Self.now)
    }

    /// A byte-level answer is written (or the connection died); `closing` when the connection closes after it.
    func directAnswerSent(closing: Bool) {
        activity.directAnswerFinished(now: Self.now)
        if closing { closeWhenIdle = true }
        if let ownContext { settled(ownContext) }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case var .head(response) where response.status.code >= 200:
            // Routed answers are written in request order, each ending before the next begins: the closing
            // request's answer is the one begun while it alone is in flight.
            let answersClosingRequest = closingRequestRouted && activity.routedInFlight == 1
            guard answersClosingRequest || quiescing else { return context.write(data, promise: promise) }
            // The answer to the request that asked to close (or any, while quiescing) says so; the output side
            // closes once it is written.
            response.headers.replaceOrAdd(name: "Connection", value: "close")
            closeWhenIdle = true
            return context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .head, .body:
            return context.write(data, promise: promise)
        case .end:
            break
        }
        // The activity changes now (a pipelined request read next may be answered here, after this one);
        // what the end of the answer may close waits until it is written: closing now would drop the
        // answer, which the router flushes only after this write.
        activity.routedResponseEnded(now: Self.now)
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        context.write(data, promise: written)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in
            let (handler, context) = bound.value
            handler.settled(context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Bytes after a request that ended the connection are not requests: NIO's parser calls them an error
        // ("data after Connection: close"), which nobody must answer (it would be a 400 after the last answer).
        if inputFinished || closeWhenIdle, error is HTTPParserError { return }
        context.fireErrorCaught(error)
    }

    func read(context: ChannelHandlerContext) {
        if openingFile {
            readRequested = true
            return
        }
        context.read()
    }

    // MARK: Connection lifetime

    func handlerAdded(context: ChannelHandlerContext) {
        ownContext = context
        if context.channel.isActive { ensureIdleCheck(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        ensureIdleCheck(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        ownContext = nil
        idleTimer?.cancel()
        idleTimer = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Quiescing: Hummingbird's state handler would close at once, not seeing an answer sent from here.
        if event is ChannelShouldQuiesceEvent {
            // No new answers from here either way; the router's own requests end as Hummingbird decides.
            quiescing = true
            if !activity.isIdle, activity.mayAnswerDirectly { return }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// After an answer ends or a routed request is read: close if that was owed, and keep the idle check
    /// running (it stops while the connection answers a request read whole, and resumes from here).
    private func settled(_ context: ChannelHandlerContext) {
        if activity.isIdle {
            if quiescing {
                context.close(promise: nil)
                return
            }
            if closeWhenIdle {
                // Output only, as the router does: the answer is flushed and the client reads it before it
                // closes its side; the idle timeout closes the rest.
                context.close(mode: .output, promise: nil)
            }
        }
        ensureIdleCheck(context)
    }

    private var idleTimeoutNanoseconds: UInt64 { UInt64(max(0, configuration.idleTimeout.nanoseconds)) }

    private func ensureIdleCheck(_ context: ChannelHandlerContext) {
        guard idleTimer == nil else { return }
        scheduleIdleCheck(context, at: activity.lastActivity &+ idleTimeoutNanoseconds)
    }

    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at deadline: UInt64) {
        let delay = Int64(clamping: deadline &- min(Self.now, deadline))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: .nanoseconds(delay)) {
            let (handler, context) = bound.value
            handler.idleTimer = nil
            switch handler.activity.idleCheck(now: Self.now, timeout: handler.idleTimeoutNanoseconds) {
            case .busy: break
            case .close: context.close(promise: nil)
            case let .checkAgain(at: deadline): handler.scheduleIdleCheck(context, at: deadline)
            }
        }
    }

    private static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }
}
