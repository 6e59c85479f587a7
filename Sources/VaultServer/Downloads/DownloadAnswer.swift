import Hummingbird
import NIOCore

/// What a download answers, before any transport: status, headers and which bytes, or a refusal. The router's
/// transport (`response(renderError:)`) and the fast answers (`FastAnswerHandler`, `DirectDownloadHandler`) both send exactly this, so the
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
    case content(HTTPResponse.Status, DownloadAnswerFields, Body)
    /// 412 or 416, which each surface renders in its own error shape, with the headers the refusal must carry
    /// (`Content-Range` on a 416).
    case refusal(APIError)

    /// The answer as a Hummingbird response: bytes from a file stream in bounded chunks, read with `reads`.
    func response(reads: StreamedFileReads, renderError: DownloadResponder.ErrorRenderer) -> Response {
        switch self {
        case let .refusal(refusal):
            var response = renderError(refusal.status, refusal.code, refusal.message)
            for field in refusal.headers { response.headers[field.name] = field.value }
            return response
        case let .content(status, fields, body):
            let headers = fields.merged
            switch body {
            case .none:
                return Response(status: status, headers: headers, body: .init())
            case let .buffer(buffer):
                return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
            case let .spans(bytes, spans):
                return Response(status: status, headers: headers, body: DownloadResponder.stream(bytes, spans, reads: reads))
            case let .multipart(bytes, multipart):
                return Response(status: status, headers: headers, body: DownloadResponder.stream(bytes, multipart, reads: reads))
            }
        }
    }
}

extension DownloadAnswer {
    /// One piece of an answer's body as the fast paths write it: bytes (a held file's slice, a multipart
    /// part header, a refusal's JSON), or a span of an open file to send with `sendfile`.
    enum WirePiece {
        case bytes(ByteBuffer)
        case file(OpenFile, Range<UInt64>)
    }

    /// The answer as the fast paths write it beneath the router: its status, its headers (a refusal with its
    /// JSON's length, as `APIError.response()` renders it for the router) and the pieces of its body, none when
    /// `withBody` is false (a HEAD).
    func wire(withBody: Bool) -> (status: HTTPResponse.Status, fields: DownloadAnswerFields, pieces: [WirePiece]) {
        switch self {
        case let .refusal(refusal):
            let json = refusal.body
            var fields = DownloadAnswerFields(JSONResponse.headers(refusal.headers))
            fields.add(.contentLength, String(json.readableBytes))
            return (refusal.status, fields, withBody ? [.bytes(json)] : [])
        case let .content(status, fields, body):
            guard withBody else { return (status, fields, []) }
            var pieces: [WirePiece] = []
            func add(_ bytes: DownloadBytes, _ span: Range<UInt64>) {
                switch bytes {
                case .memory:
                    if let slice = bytes.heldSlice(span) { pieces.append(.bytes(slice)) }
                case let .file(file):
                    pieces.append(.file(file, span))
                }
            }
            switch body {
            case .none: break
            case let .buffer(buffer): pieces.append(.bytes(buffer))
            case let .spans(bytes, spans): for span in spans { add(bytes, span) }
            case let .multipart(bytes, multipart):
                for (index, range) in multipart.ranges.enumerated() {
                    pieces.append(.bytes(ByteBuffer(string: multipart.partHeader(index))))
                    add(bytes, range.lowerBound..<(range.upperBound + 1))
                }
                pieces.append(.bytes(ByteBuffer(string: multipart.closing)))
            }
            return (status, fields, pieces)
        }
    }
}
