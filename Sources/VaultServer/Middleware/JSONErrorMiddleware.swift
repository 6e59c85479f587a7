import Hummingbird
import Logging

/// Gives every error the one JSON shape: our `APIError`s pass through; Hummingbird's own errors (unknown
/// route, method not allowed, body too large) keep their status with a stable code; anything else is a
/// logged 500 that leaks no internals.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, code: Self.code(for: error.status), message: Self.message(for: error, request))
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError.internalError("the server failed to handle this request; see its log")
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "payload_too_large"
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        default: "http_\(status.code)"
        }
    }

    static func message(for error: any HTTPResponseError, _ request: Request) -> String {
        if let httpError = error as? HTTPError, let body = httpError.body, !body.isEmpty { return body }
        switch error.status {
        case .notFound: return "no route for \(request.method) \(request.uri.path)"
        case .methodNotAllowed: return "\(request.method) is not allowed on \(request.uri.path)"
        default: return error.status.reasonPhrase
        }
    }
}
