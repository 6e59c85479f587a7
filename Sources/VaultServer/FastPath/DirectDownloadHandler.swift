#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Hummingbird
import NIOCore
import VaultCore

/// Answers hot downloads straight from a connection's bytes, beneath NIO's HTTP/1 parser and encoder: the
/// same decision (`DownloadRoutes.decide`), envelope and request record as `FastAnswerHandler` and the router,
/// without the per-request machinery in between (llhttp, the parsed head's header storage, the encoder, the
/// pipeline's hops). Docs/PERFORMANCE.md has what that is worth.
///
/// It takes a connection only while every request on it is one it answers:
/// - a head `DirectRequestHead` reads (plain `GET`/`HEAD /audio/...`, no body, no credential),
/// - a target `AudioRequestTarget` reads, and
/// - an answer that needs no file opened: bytes the hot-file cache holds or a descriptor `OpenFileCache` keeps
///   (sent with `sendfile`), or a refusal (404, 412, 416, 304).
/// The first request that is anything else, and every byte after it, goes on to NIO's parser as if this handler
/// had never been there, and the handler leaves the pipeline. Nothing was ever handed to the router before
/// that, so pipelined answers stay in order without any bookkeeping; and since it never answers once it has
/// handed bytes on, there are never two parsers in play for one request.
///
/// Pipelined requests read together are answered together and flushed once. While the socket will not take
/// more (a client that pipelines and does not read), it stops answering and reading until it will.
///
/// It tells the connection's owner of each answer through a `ByteLevelAnswerObserver` (written, then flushed), so the
/// connection's life (`ConnectionLife`) counts these answers as it counts the parsed ones; it learns that the
/// server quiesces from the event, and then takes nothing more. Sits in front of the HTTP/1 encoder (after
/// TLS, where there is one).
final class DirectDownloadHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let downloads: DownloadRoutes
    private let shared: FastAnswers
    private let observer: any ByteLevelAnswerObserver
    private var envelope: AnswerEnvelope
    private var quiescing = false
    /// Bytes read and not yet answered (the start of the next request).
    private var pending: ByteBuffer?
    /// How far the search for the end of the pending head has got.
    private var searchedUpTo = 0
    private enum Mode {
        /// Answering from the bytes.
        case direct
        /// A request asked for the connection to close and was answered: later bytes are dropped.
        case closing
        /// Handing everything on; the handler is leaving the pipeline.
        case handedOn
    }
    private var mode = Mode.direct
    /// A read was asked for while answering was paused for the socket.
    private var readRequested = false

    /// Nil when `shared` takes no downloads.
    init?(_ shared: FastAnswers, observer: any ByteLevelAnswerObserver) {
        guard let downloads = shared.downloads else { return nil }
        self.observer = observer
        self.downloads = downloads
        self.shared = shared
        self.envelope = shared.envelope
    }

    /// While this handler answers, what NIO may hold for the socket before it calls the channel unwritable.
    /// NIO's default (64 KiB) is crossed by every 64 KiB range with its head, and each crossing costs a
    /// writability flip through the whole pipeline both ways (the send timeout's `TCP_INFO` read, Hummingbird's
    /// writer): a large share of a range's CPU (Docs/PERFORMANCE.md, "Descriptors kept open"). The answers held here are slices of the cache's shared buffers,
    /// so the higher mark costs no memory; the send timeout still sees any client that leaves more than this
    /// unread. Back to NIO's default when the connection is handed on (the router's answers are copies).
    static let directWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 64 * 1024, high: 160 * 1024)
    /// `TCP_CORK`, around an answer sent with `sendfile` (nginx's `tcp_nopush`): the head, written first and
    /// apart, would otherwise leave as a packet of its own, and the file in segments cut at each `sendfile`
    /// return rather than full ones. Uncorked once the answer is written, so its last partial segment leaves at
    /// once (nginx, which uncorks later, makes every small answer wait). Measured in Docs/PERFORMANCE.md.
    static let cork = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: TCP_CORK))
    /// The bytes from a file from which an answer is corked.
    static let corkMinimumFileBytes = 128 * 1024
    static let defaultWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 32 * 1024, high: 64 * 1024)

    func handlerAdded(context: ChannelHandlerContext) {
        try? context.channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: Self.directWaterMark)
        // While this handler answers, it asks for each read itself, from its own place near the head: with
        // `autoRead` on, NIO asks from the tail after every read, and that `read` and the `channelReadComplete`
        // before it pass through every handler behind this one (the codec, Hummingbird's and ours), none of
        // which has been handed a byte (Docs/PERFORMANCE.md, "Reads asked for near the head"). Back on when
        // the connection is handed on.
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        if context.channel.isActive { read(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if mode != .handedOn { read(context: context) }
    }

    /// Nothing behind this handler has been handed a byte (or, handed on, it is no longer here): the read's end
    /// stays here, and the next read is asked for.
    func channelReadComplete(context: ChannelHandlerContext) {
        guard mode != .handedOn else { return context.fireChannelReadComplete() }
        read(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch mode {
        case .handedOn:
            context.fireChannelRead(data)
        case .closing:
            return
        case .direct:
            let bytes = unwrapInboundIn(data)
            if pending == nil || pending?.readableBytes == 0 {
                pending = bytes
            } else {
                pending?.writeImmutableBuffer(bytes)
            }
            answerPending(context: context)
        }
    }

    /// Answers every complete request pending, in order, while the socket takes output.
    private func answerPending(context: ChannelHandlerContext, outsideRead: Bool = false) {
        var answered = false
        var declined = false
        answering: while mode == .direct, context.channel.isWritable, var bytes = pending, bytes.readableBytes > 0 {
            let reading = bytes.withUnsafeReadableBytes { DirectRequestHead.read($0, searchedUpTo: &searchedUpTo) }
            switch reading {
            case .incomplete:
                break answering
            case .declined:
                declined = true
                break answering
            case let .head(head, length):
                let start = DispatchTime.now().uptimeNanoseconds
                guard !quiescing, let target = AudioRequestTarget(head.target),
                    let answer = decide(head, target: target)
                else {
                    declined = true
                    break answering
                }
                bytes.moveReaderIndex(forwardBy: length)
                pending = bytes.readableBytes > 0 ? bytes : nil
                searchedUpTo = 0
                send(answer, for: head, target: target, start: start, context: context)
                answered = true
            }
        }
        // Answers first: what is handed on is answered after them.
        if answered { context.flush() }
        if declined { handOn(context: context, outsideRead: outsideRead) }
    }

    /// The route's decision, or nil when the answer needs what only the other transports do (a file opened off
    /// the event loop, or read into the cache; an index error and its logging).
    private func decide(_ head: DirectRequestHead, target: AudioRequestTarget) -> DownloadAnswer? {
        let downloads = self.downloads
        let request = DownloadResponder.downloadRequest(method: head.method == .head ? .head : .get) { name in
            switch name {
            case .range: head.range
            case .ifRange: head.ifRange
            case .ifMatch: head.ifMatch
            case .ifNoneMatch: head.ifNoneMatch
            case .ifModifiedSince: head.ifModifiedSince
            case .ifUnmodifiedSince: head.ifUnmodifiedSince
            }
        }
        // Only what is at hand is answered here; a file to open or read, or an index error, is handed on.
        let decision = try? downloads.decide(
            book: target.book, file: target.file, query: target.query, request: request, available: downloads.bytesAtHand)
        guard case let .answer(answer)? = decision else { return nil }
        return answer
    }

    private func send(
        _ answer: DownloadAnswer, for head: DirectRequestHead, target: AudioRequestTarget, start: UInt64,
        context: ChannelHandlerContext
    ) {
        let (status, fields, wire) = answer.wire(withBody: head.method == .get)
        let body = WireBody(wire)
        let pieces = body.pieces
        let closing = !head.keepAlive || quiescing
        let finishing = envelope.fields(origin: head.origin, closing: closing)
        if closing {
            mode = .closing
            pending = nil
        }
        shared.answered?.increment()
        shared.answeredFromBytes?.increment()
        shared.recorder.record(
            method: head.method == .head ? .head : .get, endpoint: DownloadRoutes.endpoint, path: target.path,
            status: Int(status.code), facts: Exchange.Facts(), startedAt: start, logger: shared.logger, newRequestID: true)

        var headBytes = context.channel.allocator.buffer(capacity: 512)
        if fields.containsAnyName(ofFinishing: finishing) {
            // One would replace a field the answer has (no download answer has any of them): merged as `finish`
            // merges them.
            var merged = fields.merged
            AnswerEnvelope.set(finishing, in: &merged)
            ResponseHeadBytes.write(status: status, fields: merged, into: &headBytes)
        } else if let lines = fields.sharedLines {
            // Written after the answer's own fields, as `finish` would append them.
            ResponseHeadBytes.write(status: status, lines: lines, then: fields.added, and: finishing, into: &headBytes)
        } else {
            ResponseHeadBytes.write(status: status, fields: fields.shared, then: fields.added, and: finishing, into: &headBytes)
        }
        // Only for answers large enough for the cork to pay for its two system calls (a small span from a file
        // is not worth them; corking a 64 KiB `sendfile` added CPU, measured in Docs/PERFORMANCE.md).
        let corked = body.fileBytes >= Self.corkMinimumFileBytes
        if corked { try? context.channel.syncOptions?.setOption(Self.cork, value: 1) }
        let sent = context.eventLoop.makePromise(of: Void.self)
        if pieces.isEmpty {
            context.write(wrapOutboundOut(.byteBuffer(headBytes)), promise: sent)
        } else {
            context.write(wrapOutboundOut(.byteBuffer(headBytes)), promise: nil)
            for piece in pieces.dropLast() { context.write(wrapOutboundOut(piece), promise: nil) }
            context.write(wrapOutboundOut(pieces[pieces.count - 1]), promise: sent)
        }
        observer.answerWrittenBeneath(closing: closing)
        let channel = context.channel
        let whenWritten = body.whenWritten
        // Told directly, not through this handler's context: it may have left the pipeline meanwhile.
        let observer = NIOLoopBound(self.observer, eventLoop: context.eventLoop)
        sent.futureResult.whenComplete { _ in
            if corked { try? channel.syncOptions?.setOption(Self.cork, value: 0) }
            whenWritten()
            observer.value.answerFlushedBeneath()
        }
    }

    /// From this request on, the connection is NIO's parser's and the router's: what is pending goes on, and
    /// the handler leaves. `outsideRead`: not called from `channelRead`, so the read's completion is passed on
    /// here (the router's inbound side delivers what it buffered only then).
    private func handOn(context: ChannelHandlerContext, outsideRead: Bool = false) {
        mode = .handedOn
        try? context.channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: Self.defaultWaterMark)
        // NIO asks for reads again after each one; turning it on asks for one now.
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        if let bytes = pending, bytes.readableBytes > 0 {
            pending = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            if outsideRead { context.fireChannelReadComplete() }
        }
        if readRequested {
            readRequested = false
            context.read()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { quiescing = true }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        guard mode == .direct, context.channel.isWritable else { return }
        answerPending(context: context, outsideRead: true)
        // Reading resumes, also after a `Connection: close` answer: the client's end of file must still be read.
        if mode != .handedOn, readRequested {
            readRequested = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        // Paused for the socket with bytes pending: no more until what is pending is answered.
        if mode == .direct, !context.channel.isWritable, pending != nil {
            readRequested = true
            return
        }
        context.read()
    }
}
