import Foundation
public import Hummingbird

/// An error answered as `{"error":"<stable code>","message":"<human text>"}` with its HTTP status.
///
/// The code is the contract (clients branch on it); the message is for people and may change.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    struct Body: Codable {
        let error: String
        let message: String
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The error as a response, for paths that answer directly instead of throwing.
    public func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Body(error: code, message: message))) ?? Data(#"{"error":"internal_error","message":""}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    public static func notFound(_ message: String) -> APIError { .init(.notFound, code: "not_found", message: message) }
    public static func internalError(_ message: String) -> APIError {
        .init(.internalServerError, code: "internal_error", message: message)
    }
}
