import Hummingbird

/// Decides once per request who is calling (`Caller`) from the credentials it carries, for every surface.
/// It refuses nothing: what a surface requires is `AccessRequirementMiddleware`'s job (or, for Storage, its
/// per-bucket policy).
struct CallerIdentificationMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext
    let clientKeys: APIKeyAuthenticator
    let adminToken: AdminToken?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let authorization = request.headers[.authorization]
        let apikey = request.headers[.apikey]
        let xiAPIKey = request.headers[.xiAPIKey]
        // Most requests (downloads) carry no credential at all: nothing to compare.
        if authorization != nil || apikey != nil || xiAPIKey != nil {
            let presented = APIKeyAuthenticator.presentedKeys(authorization: authorization, apikey: apikey, xiAPIKey: xiAPIKey)
            let caller = Caller(clientKey: clientKeys.key(anyOf: presented),
                                isAdmin: adminToken?.isPresented(in: authorization) ?? false, presentedCredentials: true)
            context.exchange.update { $0.caller = caller }
        }
        return try await next(request, context)
    }
}
