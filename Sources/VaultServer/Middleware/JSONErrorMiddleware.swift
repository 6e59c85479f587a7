import Hummingbird
import Logging

/// Gives every error the one JSON shape: our `APIError`s pass through; Hummingbird's own errors (unknown
/// route, method not allowed, body too large) keep their status with a stable code; failures
/// `ClassifiedError` knows get theirs; anything else is a logged 500 that leaks no internals.
///
/// An unmatched request on a path some route answers with other methods becomes `405` with `Allow`
/// (RFC 9110 §15.5.6), from the `RouteTable` the routes were recorded in.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, error is HTTPError {  // the router's "no route"; handlers throw APIError
                let allowed = routes.allowedMethods(for: request.uri.path).map(\.rawValue).joined(separator: ", ")
                if !allowed.isEmpty {
                    var response = APIError(
                        .methodNotAllowed, code: "method_not_allowed",
                        message: "\(request.method) is not allowed on \(request.uri.path); use \(allowed)"
                    ).response()
                    response.headers[.allow] = allowed
                    return response
                }
            }
            throw APIError(error.status, code: Self.code(for: error.status), message: Self.message(for: error, request))
        } catch {
            // A known failure (a cluster node's catalog away, a full disk...) keeps its status and code on
            // every route, not only on those that render it themselves.
            if let known = VoiceErrorMapping.apiError(for: error) { throw known }
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
