import Foundation
import Hummingbird
import VaultCore

/// Renders every failure under an SDK-compatible door in the error shape that door's SDK parses, so the SDK
/// raises its own error type with the right status. The statuses and codes are `/api/voice`'s: one
/// classification, another spelling.
struct CompatibleErrorMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    enum Shape: Sendable {
        /// `{"detail":{"type","code","message","status","request_id","param"}}` with a JSON content type (the
        /// JS SDK parses the body only when it says JSON).
        case elevenLabs
        /// `{"error":{"message","type","param","code"}}`, as the `openai` SDKs read it.
        case openAI
    }

    let shape: Shape

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            guard let failure = Self.apiError(error) else { throw error }
            return Self.response(failure, shape: shape)
        }
    }

    static func apiError(_ error: any Error) -> APIError? {
        if let mapped = VoiceErrorMapping.apiError(for: error) { return mapped }
        if let error = error as? any HTTPResponseError {
            return APIError(error.status, code: JSONErrorMiddleware<Context>.code(for: error.status), message: error.status.reasonPhrase)
        }
        return nil
    }

    static func response(_ error: APIError, shape: Shape) -> Response {
        switch shape {
        case .elevenLabs:
            let detail: [String: Any] = [
                "type": type(of: error.status), "code": error.code, "message": error.message, "status": error.code,
                "request_id": "vv_" + UUID().uuidString.lowercased(), "param": NSNull(),
            ]
            return JSONResponse.make(error.status, object: ["detail": detail], headers: error.headers)
        case .openAI:
            let body: [String: Any] = [
                "message": error.message, "type": type(of: error.status), "param": NSNull(), "code": error.code,
            ]
            return JSONResponse.make(error.status, object: ["error": body], headers: error.headers)
        }
    }

    /// The error family of a status, in the words both APIs use.
    static func type(of status: HTTPResponse.Status) -> String {
        switch status.code {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 500...: "server_error"
        default: "invalid_request_error"
        }
    }
}
