import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without a `Host` header. Hummingbird's
/// pipeline converts requests to `HTTPRequest`, which no longer says which version arrived (1.0 may omit
/// `Host`), so this handler sits before that conversion (`EdgeChannel` declares the order).
final class HostRequirementHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The rest of a refused request is dropped, never passed on.
    private var refusing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case let .head(head) = unwrapInboundIn(data), head.version == .http1_1, !head.headers.contains(name: "host") {
            refusing = true
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            headers.add(name: "Connection", value: "close")
            let body = #"{"error":"bad_request","message":"an HTTP/1.1 request must carry a Host header"}"#
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
            return
        }
        guard !refusing else { return }
        context.fireChannelRead(data)
    }
}
