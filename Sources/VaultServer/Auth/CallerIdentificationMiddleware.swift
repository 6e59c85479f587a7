import Hummingbird

/// Decides once per request who is calling (`Caller`) from the credentials it carries, for every surface.
/// It refuses nothing: what a surface requires is `AccessRequirementMiddleware`'s job (or, for Storage, its
/// per-bucket policy).
struct CallerIdentificationMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext
    let identification: CallerIdentification

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let headers = request.headers
        if let caller = identification.caller({ headers[$0.fieldName] }) {
            context.exchange.update { $0.caller = caller }
        }
        return try await next(request, context)
    }
}
