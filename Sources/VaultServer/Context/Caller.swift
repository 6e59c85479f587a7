/// Who made a request, as far as its credentials show. Decided once per request by
/// `CallerIdentificationMiddleware`; route groups then require what they need.
///
/// A request can be both a client and the admin (a Supabase client sends `apikey` and `Authorization`
/// together): each surface asks for the one it needs, and neither credential stands in for the other.
public struct Caller: Sendable, Equatable {
    /// The valid client key the request carried, if any.
    public var clientKey: ClientKey?
    /// Whether `Authorization: Bearer` carried the admin token.
    public var isAdmin: Bool
    /// Whether the request carried any credential header at all (so a refusal can say "not valid" rather
    /// than "required").
    public var presentedCredentials: Bool

    public static let anonymous = Caller(clientKey: nil, isAdmin: false, presentedCredentials: false)

    public init(clientKey: ClientKey?, isAdmin: Bool, presentedCredentials: Bool) {
        self.clientKey = clientKey
        self.isAdmin = isAdmin
        self.presentedCredentials = presentedCredentials
    }

    /// For logs and the ledger: `admin`, the key's name, or `-`. Never a secret.
    public var label: String {
        if isAdmin { return "admin" }
        return clientKey?.name ?? "-"
    }
}
