import Hummingbird

/// What a route group requires of its caller, checked before any of its handlers runs. The two credentials
/// never stand in for each other: a client key opens no admin route, the admin token generates nothing.
struct AccessRequirementMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    enum Requirement: Sendable {
        /// A configured client key (`VOICEVAULT_API_KEYS`).
        case clientKey
        /// `Authorization: Bearer <VOICEVAULT_ADMIN_TOKEN>`; `configured` is false when the server has none,
        /// and then every request is refused.
        case admin(configured: Bool)
    }

    let requirement: Requirement
    /// Client keys' own request rates (keys file `requestsPerMinute`); checked once the key is known good.
    var rateLimiter: RequestRateLimiter? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let caller = context.caller
        if let refusal = Self.refusal(requirement, caller: caller) {
            throw refusal
        }
        if let rateLimiter, let key = caller.clientKey, case let .refused(retryAfter) = await rateLimiter.decide(for: key) {
            throw APIError(
                .tooManyRequests, code: "rate_limited",
                message: "this client key may make \(key.requestsPerMinute ?? 0) requests a minute here; try again in \(retryAfter) s",
                headers: [.retryAfter: String(retryAfter)])
        }
        return try await next(request, context)
    }

    /// The error a caller gets, or nil when it may pass. Pure, so every case has a unit test.
    static func refusal(_ requirement: Requirement, caller: Caller) -> APIError? {
        let presentedCredentials = caller.presentedCredentials
        switch requirement {
        case .clientKey:
            if caller.clientKey != nil { return nil }
            return APIError(
                .unauthorized, code: "unauthorized",
                message: presentedCredentials
                    ? "the client key is not valid"
                    : "a client key is required (Authorization: Bearer <key>, apikey or xi-api-key)",
                headers: [.wwwAuthenticate: #"Bearer realm="voicevault""#])
        case let .admin(configured):
            guard configured else {
                return APIError(
                    .forbidden, code: "admin_disabled",
                    message: "this server has no VOICEVAULT_ADMIN_TOKEN, so its admin surface is closed")
            }
            if caller.isAdmin { return nil }
            if caller.clientKey != nil {
                return APIError(
                    .forbidden, code: "forbidden",
                    message: "a client key cannot open the admin surface; use Authorization: Bearer <VOICEVAULT_ADMIN_TOKEN>")
            }
            return APIError(
                .unauthorized, code: "unauthorized",
                message: presentedCredentials
                    ? "the admin token is not valid"
                    : "the admin token is required (Authorization: Bearer <VOICEVAULT_ADMIN_TOKEN>)",
                headers: [.wwwAuthenticate: #"Bearer realm="voicevault-admin""#])
        }
    }
}
