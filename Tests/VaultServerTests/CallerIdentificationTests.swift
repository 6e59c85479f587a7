import Testing
import VaultTestSupport
@testable import VaultServer

/// One caller identification for every transport, over one list of credential fields.
@Suite struct CallerIdentificationTests {
    static let identification = CallerIdentification(
        clientKeys: APIKeyAuthenticator(keys: ["client-key"]),
        adminToken: AdminToken("admin-token-0123456789"))

    static func caller(_ fields: [CredentialField: String]) -> Caller? {
        identification.caller { fields[$0] }
    }

    @Test func noCredentialIsAnonymousAndAnyFieldCounts() {
        #expect(Self.caller([:]) == nil)
        for field in CredentialField.allCases {
            let value = field == .authorization ? "Bearer client-key" : "client-key"
            let caller = Self.caller([field: value])
            #expect(caller?.clientKey?.name == ClientKey(secret: "client-key").name, "\(field)")
            #expect(caller?.clientKey != nil, "\(field)")
            #expect(caller?.isAdmin == false)
            // A wrong value still presents a credential: the caller is known to have tried.
            #expect(Self.caller([field: "wrong"])?.presentedCredentials == true, "\(field)")
            #expect(Self.caller([field: "wrong"])?.clientKey == nil, "\(field)")
            #expect(CallerIdentification.carriesCredential { $0 == field })
        }
        #expect(!CallerIdentification.carriesCredential { _ in false })
    }

    @Test func theAdminTokenComesOnlyAsABearerToken() {
        #expect(Self.caller([.authorization: "Bearer admin-token-0123456789"])?.isAdmin == true)
        #expect(Self.caller([.apikey: "admin-token-0123456789"])?.isAdmin == false)
        #expect(Self.caller([.xiAPIKey: "admin-token-0123456789"])?.isAdmin == false)
    }

    /// The byte-level reader finds credentials by its own comparisons, for speed; it must decline every
    /// field of the one list, in any case.
    @Test func theByteLevelReaderDeclinesEveryCredentialField() {
        for field in CredentialField.allCases {
            for name in [field.name, field.name.uppercased()] {
                let text = "GET /audio/b/\(String(repeating: "a", count: 64)).mp3 HTTP/1.1\r\nHost: x\r\n\(name): k\r\n\r\n"
                #expect(DirectRequestHeadProbe.read(Array(text.utf8)) == nil, "\(name)")
            }
        }
    }
}
