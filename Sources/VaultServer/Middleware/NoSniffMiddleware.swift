import HTTPTypes
import Hummingbird

/// `X-Content-Type-Options: nosniff` on every answer, errors included: the Storage API serves what users
/// upload from the API's own origin, and a browser must never guess that a file declared as something else
/// is HTML or script. Outermost, so it sees every response.
struct NoSniffMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}
