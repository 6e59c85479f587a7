import Logging
import NIOCore
import NIOHTTPTypes

/// Closes connections that hold the server without moving, in the two ways Hummingbird's own idle timeout
/// does not see:
/// - **A response the client stops reading.** Hummingbird never times out a connection whose response is
///   in progress. When the socket stays unwritable (the client's window is full) and the client takes no
///   byte for `ConnectionLimits.sendTimeoutSeconds`, the connection is closed, as nginx's `send_timeout` does.
/// - **A request body left unread behind a finished response** (an early 401/413, a parse error, a body
///   sent to `/healthz`). Hummingbird would read and discard all of it before the next request (a gigabyte
///   accepted to be refused), or with `Connection: close` wait, owning the socket and its receive queue,
///   for the client to close. Once the response has ended, the connection lingers: it may take
///   `lingeringBodyBytes` more of that body, so a small refused upload still ends cleanly and the connection
///   is reused; past that the server stops reading and sends FIN, and after `lingeringSeconds` it closes.
///   Closing at once would reset the connection while the client may not have read the answer yet (a reset
///   discards what its kernel holds), which is why nginx lingers too.
///
/// Sits in the pipeline after the HTTP/1 codec, so it sees request and response parts.
final class StalledConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let logger: Logger
    /// A request head was read and its end was not yet.
    private var requestOpen = false
    /// Request heads read and responses ended on this connection: a response ends *its own* request's
    /// exchange only when the two counts meet (a pipelined next request may already be arriving).
    private var requestsStarted = 0
    private var responsesEnded = 0
    /// Body bytes read since the response ended, while lingering; nil when not lingering.
    private var lingeringBytes: Int?
    /// Past the allowance: reads are no longer passed on and the output side is shut.
    private var refusingInput = false
    private var lingeringDeadline: Scheduled<Void>?
    private var sendDeadline: Scheduled<Void>?
    /// Since when the client has taken nothing while the socket refused more output, and how much was
    /// waiting then; nil while the socket takes output.
    private struct Stall {
        var since: NIODeadline
        /// Bytes NIO still held for the socket.
        var waiting: Int
        /// Bytes the client's TCP had acknowledged (0 where the kernel does not say).
        var acknowledged: UInt64
    }
    private var stall: Stall?

    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestOpen = true
            requestsStarted += 1
            stopLingering()
        case let .body(buffer):
            if let read = lingeringBytes {
                let total = read + buffer.readableBytes
                lingeringBytes = total
                if total > limits.lingeringBodyBytes, !refusingInput {
                    refusingInput = true
                    logger.debug(
                        "refusing the rest of a request body after its response",
                        metadata: ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "-")"])
                    context.close(mode: .output, promise: nil)
                }
            }
        case .end:
            requestOpen = false
            stopLingering()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            responsesEnded += 1
            // The answer to the request still being read: linger on what is left of its body.
            if requestOpen, responsesEnded == requestsStarted, lingeringBytes == nil { startLingering(context) }
        }
        context.write(data, promise: promise)
    }

    private func startLingering(_ context: ChannelHandlerContext) {
        lingeringBytes = 0
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        lingeringDeadline = context.eventLoop.scheduleTask(in: .seconds(Int64(limits.lingeringSeconds))) {
            let (handler, context) = loopBound.value
            handler.close(context, reason: "request body left unread behind its response")
        }
    }

    func read(context: ChannelHandlerContext) {
        guard !refusingInput else { return }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Writability flips twice for every response larger than the high-water mark (a 64 KiB range does),
        // so a flip only records the time; one timer per connection checks it. Scheduling and cancelling a
        // task on every flip was a measurable share of the server's CPU on small ranges (Docs/PERFORMANCE.md).
        if context.channel.isWritable {
            stall = nil
        } else if stall == nil {
            stall = Stall(
                since: .now(), waiting: Self.waitingBytes(context),
                acknowledged: TCPProgress.bytesAcknowledged(context.channel))
            if sendDeadline == nil { scheduleSendCheck(context, in: .seconds(Int64(limits.sendTimeoutSeconds))) }
        }
        context.fireChannelWritabilityChanged()
    }

    /// The timeout runs from the last time the client took a byte, as nginx's `send_timeout` does between two
    /// successive writes: a whole file written at once (a held buffer, a `sendfile` region) keeps the socket
    /// unwritable from its first byte to its last, so unwritability alone would cut a slow reader off. Taking
    /// a byte shows as TCP acknowledging more (the kernel's send buffer, megabytes on a fast link, drains long
    /// before NIO's queue moves), or, where the kernel does not say, as NIO's queue shrinking.
    private func scheduleSendCheck(_ context: ChannelHandlerContext, in delay: TimeAmount) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        sendDeadline = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            handler.sendDeadline = nil
            guard var stall = handler.stall else { return }
            let now = NIODeadline.now()
            let waiting = Self.waitingBytes(context)
            let acknowledged = TCPProgress.bytesAcknowledged(context.channel)
            if waiting < stall.waiting || acknowledged > stall.acknowledged {
                // The client took bytes: slow, not stalled.
                stall = Stall(since: now, waiting: waiting, acknowledged: acknowledged)
            } else {
                stall.waiting = waiting  // more answers queued behind: progress is measured from here
            }
            handler.stall = stall
            let remaining = stall.since + .seconds(Int64(handler.limits.sendTimeoutSeconds)) - now
            if remaining.nanoseconds <= 0 {
                handler.close(context, reason: "the client stopped reading its response (\(waiting) bytes waiting)")
            } else {
                handler.scheduleSendCheck(context, in: remaining)
            }
        }
    }

    /// Bytes written to the channel and not yet taken by the socket; a partial `sendfile` or write counts.
    private static func waitingBytes(_ context: ChannelHandlerContext) -> Int {
        (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    private func stopLingering() {
        lingeringBytes = nil
        lingeringDeadline?.cancel()
        lingeringDeadline = nil
    }

    private func cancelTimers() {
        stopLingering()
        sendDeadline?.cancel()
        sendDeadline = nil
        stall = nil
    }

    private func close(_ context: ChannelHandlerContext, reason: String) {
        cancelTimers()
        guard context.channel.isActive else { return }
        logger.debug("closing connection", metadata: ["reason": "\(reason)", "peer": "\(context.remoteAddress.map { "\($0)" } ?? "-")"])
        context.close(promise: nil)
    }
}
