import Hummingbird

/// Carries out `CrossOriginPolicy`: answers preflights itself and adds the CORS headers to every response to a
/// cross-origin request, errors included (a browser hides an error body without them). Outermost, so it sees
/// every answer.
struct CrossOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CrossOriginPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], policy.origins != .none else { return try await next(request, context) }
        if CrossOriginPolicy.isPreflight(method: request.method, headers: request.headers) {
            let answer = policy.preflight(
                origin: origin, requestedMethod: request.headers[.accessControlRequestMethod] ?? "",
                requestedHeaders: request.headers[.accessControlRequestHeaders])
            return Response(status: answer.status, headers: answer.headers, body: .init())
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        for field in policy.responseHeaders(origin: origin) { response.headers[field.name] = field.value }
        return response
    }
}
