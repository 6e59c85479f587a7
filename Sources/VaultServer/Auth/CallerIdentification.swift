import HTTPTypes

/// A field a credential may come in: `Authorization: Bearer <key>` (and the admin token), Supabase's `apikey`,
/// ElevenLabs' `xi-api-key`. The one list: a request with none of them is anonymous.
enum CredentialField: CaseIterable, Sendable {
    case authorization, apikey, xiAPIKey

    /// The name as NIO's `HTTPHeaders` and the byte-level reader compare it (case-insensitively).
    var name: String {
        switch self {
        case .authorization: "authorization"
        case .apikey: "apikey"
        case .xiAPIKey: "xi-api-key"
        }
    }

    /// The name as Hummingbird's `HTTPFields` hold it, made once.
    var fieldName: HTTPField.Name {
        switch self {
        case .authorization: .authorization
        case .apikey: .apikey
        case .xiAPIKey: .xiAPIKey
        }
    }
}

/// Who a request says it is, decided one way for every transport: the router's
/// `CallerIdentificationMiddleware`, the fast answer to a plain hit (`VoiceHitShortcut`) and the edge's test
/// for "carries a credential" all use it; the byte-level reader (`DirectRequestHead`) matches the same names by
/// length, held to `CredentialField` by a test.
struct CallerIdentification: Sendable {
    let clientKeys: APIKeyAuthenticator
    let adminToken: AdminToken?

    /// The caller of a request whose fields `field` answers (repeated fields joined with ", "), or nil when it
    /// presents no credential at all (most requests, downloads: nothing to compare).
    func caller(_ field: (CredentialField) -> String?) -> Caller? {
        let authorization = field(.authorization)
        let apikey = field(.apikey)
        let xiAPIKey = field(.xiAPIKey)
        guard authorization != nil || apikey != nil || xiAPIKey != nil else { return nil }
        let presented = APIKeyAuthenticator.presentedKeys(authorization: authorization, apikey: apikey, xiAPIKey: xiAPIKey)
        return Caller(
            clientKey: clientKeys.key(anyOf: presented), isAdmin: adminToken?.isPresented(in: authorization) ?? false,
            presentedCredentials: true)
    }

    /// Whether a request carries any credential field, whatever its value: a keyed request is logged with its
    /// caller, which the router does, so the edge's fast downloads leave it alone.
    static func carriesCredential(_ has: (CredentialField) -> Bool) -> Bool {
        CredentialField.allCases.contains(where: has)
    }
}
