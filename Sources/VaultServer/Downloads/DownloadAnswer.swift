import Hummingbird
import NIOCore

/// What a download answers, before any transport: status, headers and which bytes. The router's transport
/// (`response(renderError:)`) and the fast path's (`FastPathHandler`) both send exactly this, so the two
/// can only differ in how bytes reach the socket, never in what is decided.
struct DownloadAnswer: Sendable {
    enum Body: Sendable {
        /// 304, HEAD, and the error answers' JSON is rendered by the surface (`failure`).
        case none
        /// A whole held file or a slice of it: sent as is, no copy.
        case buffer(ByteBuffer)
        /// Spans of bytes not held in memory, streamed (router) or sent with `sendfile` (fast path).
        case spans(DownloadBytes, [Range<UInt64>])
        case multipart(DownloadBytes, MultipartByteRanges)
    }

    /// A refusal the surface renders in its own error shape, with the headers it must carry
    /// (`Content-Range` on a 416).
    struct Failure: Sendable, Equatable {
        var status: HTTPResponse.Status
        var code: String
        var message: String
        var headers: HTTPFields = [:]
    }

    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Body
    /// Set for 412 and 416: `status`, `headers` and `body` are then unused.
    var failure: Failure?

    init(status: HTTPResponse.Status, headers: HTTPFields, body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    init(failure: Failure) {
        self.status = failure.status
        self.headers = [:]
        self.body = .none
        self.failure = failure
    }

    /// The answer as a Hummingbird response: bytes from a file stream in bounded chunks.
    func response(renderError: DownloadResponder.ErrorRenderer) -> Response {
        if let failure {
            var response = renderError(failure.status, failure.code, failure.message)
            for field in failure.headers { response.headers[field.name] = field.value }
            return response
        }
        switch body {
        case .none:
            return Response(status: status, headers: headers, body: .init())
        case let .buffer(buffer):
            return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
        case let .spans(bytes, spans):
            return Response(status: status, headers: headers, body: DownloadResponder.stream(bytes, spans))
        case let .multipart(bytes, multipart):
            return Response(status: status, headers: headers, body: DownloadResponder.stream(bytes, multipart))
        }
    }
}
