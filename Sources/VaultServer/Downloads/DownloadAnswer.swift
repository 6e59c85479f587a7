import Hummingbird
import NIOCore

/// What a download answers, before any transport: status, headers and which bytes, or a refusal. The router's
/// transport (`response(renderError:)`) and the fast path's (`FastPathHandler`) both send exactly this, so the
/// two can only differ in how bytes reach the socket, never in what is decided.
enum DownloadAnswer: Sendable {
    enum Body: Sendable {
        /// 304 and HEAD.
        case none
        /// A whole held file or a slice of it: sent as is, no copy.
        case buffer(ByteBuffer)
        /// Spans of bytes not held in memory, streamed (router) or sent with `sendfile` (fast path).
        case spans(DownloadBytes, [Range<UInt64>])
        case multipart(DownloadBytes, MultipartByteRanges)
    }

    /// 200, 206 or 304: the representation's headers and the bytes to send.
    case content(HTTPResponse.Status, HTTPFields, Body)
    /// 412 or 416, which each surface renders in its own error shape, with the headers the refusal must carry
    /// (`Content-Range` on a 416).
    case refusal(APIError)

    /// The answer as a Hummingbird response: bytes from a file stream in bounded chunks.
    func response(renderError: DownloadResponder.ErrorRenderer) -> Response {
        switch self {
        case let .refusal(refusal):
            var response = renderError(refusal.status, refusal.code, refusal.message)
            for field in refusal.headers { response.headers[field.name] = field.value }
            return response
        case let .content(status, headers, body):
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
}
