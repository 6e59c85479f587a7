import Foundation
public import Hummingbird

/// An error answered as `{"error":"<stable code>","message":"<human text>"}` with its HTTP status.
///
/// The code is the contract (clients branch on it); the message is for people and may change.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Extra headers the answer carries (`WWW-Authenticate` on a 401, say).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
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
        JSONResponse.make(status, body: body, headers: headers)
    }

    /// The JSON body alone, for a transport that writes its own head (the download fast path).
    var body: ByteBuffer { JSONResponse.encoded(Body(error: code, message: message)) }
}

extension APIError {
    public static func notFound(_ message: String) -> APIError { .init(.notFound, code: "not_found", message: message) }
    public static func internalError(_ message: String) -> APIError {
        .init(.internalServerError, code: "internal_error", message: message)
    }
}
