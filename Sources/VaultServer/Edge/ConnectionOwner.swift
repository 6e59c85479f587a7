import Logging
import NIOCore
import NIOHTTP1

/// Carries out `ConnectionLife` for one connection: turns what passes through the pipeline into its events
/// and its actions into channel operations (timers, reads, 100-continue, closing). It decides nothing itself.
///
/// It sits after NIO's HTTP/1 parser and before the fast answers and the router (`EdgeChannel` declares the
/// order), so every request passes it as parts and every answer written as parts passes it on the way out;
/// answers written beneath the parser are reported to it as a `ByteLevelAnswerObserver`.
final class ConnectionOwner: ChannelDuplexHandler, RemovableChannelHandler, ByteLevelAnswerObserver {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var life: ConnectionLife
    private let logger: Logger
    private var timers = ConnectionLife.PerTimer<Scheduled<Void>?>(idle: nil, send: nil, linger: nil)
    /// For the calls of `ByteLevelAnswerObserver`, made on this channel's event loop from outside the pipeline.
    private var ownContext: ChannelHandlerContext?
    /// The version of the request whose `100 Continue` may be owed.
    private var continueVersion = HTTPVersion.http1_1

    init(limits: ConnectionLimits, logger: Logger) {
        self.life = ConnectionLife(limits: .init(limits), now: Self.now)
        self.logger = logger
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard life.passesRequests else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case var .head(head):
            continueVersion = head.version
            let keepAlive = head.isKeepAlive
            perform(life.headRead(now: Self.now, keepAlive: keepAlive, expectsContinue: Self.expectsContinue(head)), context)
            guard keepAlive else {
                // Passed on with `Connection: close` alone (HTTP/1.0 without keep-alive says so by omission,
                // `keep-alive, close` with another option): the one spelling Hummingbird's loop ends on.
                head.headers.replaceOrAdd(name: "connection", value: "close")
                return context.fireChannelRead(wrapInboundOut(.head(head)))
            }
        case let .body(buffer):
            perform(life.bodyRead(now: Self.now, bytes: buffer.readableBytes), context)
        case .end:
            perform(life.endRead(now: Self.now), context)
        }
        context.fireChannelRead(data)
    }

    /// `Expect: 100-continue` (S3 SDKs send it on every PUT with a body), answered as the request is read so
    /// the client sends its body at once. A request then refused has its body read and dropped (or lingered
    /// on), so the connection stays in step; refusing without the go-ahead would leave the client never
    /// sending a body the server waits for. HTTP/1.0 clients never get one (RFC 9110 §10.1.1).
    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        head.version.major == 1 && head.version.minor >= 1
            && head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            perform(life.quiesce(now: Self.now), context)
        case ChannelEvent.inputClosed:
            perform(life.inputClosed(now: Self.now), context, reason: "the client closed its side")
        default:
            break
        }
        // The fast answers learn of quiescing from the event too.
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Bytes after the request that ended the connection are not requests: NIO's parser calls them an error
        // ("data after Connection: close", then "data received in error state"), which nobody must answer (it
        // would be a 400 after the last answer).
        if !life.passesRequests, error is HTTPParserError || error is ByteToMessageDecoderError { return }
        context.fireErrorCaught(error)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case var .head(response) where response.status.code >= 200:
            guard life.answerBegins() else { return context.write(data, promise: promise) }
            response.headers.replaceOrAdd(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .head, .body:
            context.write(data, promise: promise)
        case .end:
            perform(life.answerEnded(now: Self.now), context)
            // What the end of the answer may close waits until it is written: closing now would drop the answer.
            let written = promise ?? context.eventLoop.makePromise(of: Void.self)
            context.write(data, promise: written)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in
                let (owner, context) = bound.value
                owner.perform(owner.life.answerFlushed(now: Self.now), context)
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        guard !life.refusingInput else { return }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        // Progress is read (a system call) only when the socket has just refused output.
        let progress = writable ? ConnectionLife.SendProgress(waiting: 0, acknowledged: 0) : Self.progress(context)
        perform(life.writabilityChanged(writable: writable, now: Self.now, progress: progress), context)
        context.fireChannelWritabilityChanged()
    }

    // MARK: Answers written beneath the parser

    func answerWrittenBeneath(closing: Bool) {
        guard let ownContext else { return }
        perform(life.answeredBeneath(now: Self.now, closing: closing), ownContext)
    }

    func answerFlushedBeneath() {
        guard let ownContext else { return }
        perform(life.answerFlushed(now: Self.now), ownContext)
    }

    // MARK: Lifetime

    func handlerAdded(context: ChannelHandlerContext) {
        ownContext = context
        if context.channel.isActive { perform(life.opened(now: Self.now), context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(life.opened(now: Self.now), context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(life.channelClosed(), context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        perform(life.channelClosed(), context)
        ownContext = nil
    }

    // MARK: Carrying out

    private func perform(_ actions: [ConnectionLife.Action], _ context: ChannelHandlerContext, reason: @autoclosure () -> String = "") {
        for action in actions {
            switch action {
            case .sendContinue:
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: continueVersion, status: .continue))), promise: nil)
            case let .arm(timer, deadline):
                arm(timer, at: deadline, context)
            case let .cancel(timer):
                timers[timer]?.cancel()
                timers[timer] = nil
            case .stopReading:
                // `read` asks `life`, which now refuses.
                logger.debug("refusing the rest of a request body after its response", metadata: Self.peer(context))
            case .closeOutput:
                context.close(mode: .output, promise: nil)
            case .close:
                let why = reason()
                if !why.isEmpty {
                    var metadata = Self.peer(context)
                    metadata["reason"] = "\(why)"
                    logger.debug("closing connection", metadata: metadata)
                }
                context.close(promise: nil)
            }
        }
    }

    private func arm(_ timer: ConnectionLife.Timer, at deadline: UInt64, _ context: ChannelHandlerContext) {
        timers[timer]?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timers[timer] = context.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) {
            let (owner, context) = bound.value
            owner.timers[timer] = nil
            owner.fire(timer, context)
        }
    }

    private func fire(_ timer: ConnectionLife.Timer, _ context: ChannelHandlerContext) {
        let now = Self.now
        switch timer {
        case .idle:
            perform(life.idleTimerFired(now: now), context, reason: "idle for the idle timeout")
        case .send:
            let progress = Self.progress(context)
            perform(
                life.sendTimerFired(now: now, progress: progress), context,
                reason: "the client stopped reading its response (\(progress.waiting) bytes waiting)")
        case .linger:
            perform(life.lingerTimerFired(now: now), context, reason: "request body left unread behind its response")
        }
    }

    /// Bytes NIO holds for the socket (a partial `sendfile` or write counts) and what the peer acknowledged.
    private static func progress(_ context: ChannelHandlerContext) -> ConnectionLife.SendProgress {
        let waiting = (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
        return .init(waiting: waiting, acknowledged: TCPProgress.bytesAcknowledged(context.channel))
    }

    private static func peer(_ context: ChannelHandlerContext) -> Logger.Metadata {
        ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "-")"]
    }

    private static var now: UInt64 { NIODeadline.now().uptimeNanoseconds }
}

/// What a handler that writes whole answers beneath NIO's parser (`DirectDownloadHandler`) tells the
/// connection's life of them, since they never pass the owner as parts. An interface given to that handler
/// at setup: it knows nothing else of whoever listens. (A pipeline event would do the same at a measured
/// cost per answer: Docs/PERFORMANCE.md, "The edge, before and after (issue 25)".)
protocol ByteLevelAnswerObserver: AnyObject {
    /// A whole answer was written; `closing` when it said `Connection: close`.
    func answerWrittenBeneath(closing: Bool)
    /// Its bytes have gone to the socket, or the connection failed them.
    func answerFlushedBeneath()
}
