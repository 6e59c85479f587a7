import Testing
import VaultTestSupport
@testable import VaultServer

/// Every caller against every requirement: the two credentials never stand in for each other.
@Suite struct AccessRequirementTests {
    static let client = Caller(clientKey: ClientKey(secret: "client-secret", name: "app"), isAdmin: false, presentedCredentials: true)
    static let admin = Caller(clientKey: nil, isAdmin: true, presentedCredentials: true)
    static let both = Caller(clientKey: ClientKey(secret: "client-secret", name: "app"), isAdmin: true, presentedCredentials: true)

    /// An anonymous caller that sent a credential header nothing matched.
    static let wrongCredentials = Caller(clientKey: nil, isAdmin: false, presentedCredentials: true)

    func code(_ requirement: AccessRequirementMiddleware.Requirement, _ caller: Caller) -> String? {
        AccessRequirementMiddleware.refusal(requirement, caller: caller)?.code
    }

    @Test func clientRoutes() {
        #expect(code(.clientKey, Self.client) == nil)
        #expect(code(.clientKey, Self.both) == nil)
        #expect(code(.clientKey, Self.admin) == "unauthorized", "the admin token generates nothing")
        #expect(code(.clientKey, .anonymous) == "unauthorized")
        #expect(code(.clientKey, Self.wrongCredentials) == "unauthorized")
    }

    @Test func adminRoutes() {
        #expect(code(.admin(configured: true), Self.admin) == nil)
        #expect(code(.admin(configured: true), Self.both) == nil)
        #expect(code(.admin(configured: true), Self.client) == "forbidden", "a client key opens no admin route")
        #expect(code(.admin(configured: true), .anonymous) == "unauthorized")
        #expect(code(.admin(configured: true), Self.wrongCredentials) == "unauthorized")
    }

    @Test func withoutAnAdminTokenTheAdminSurfaceRefusesEveryone() {
        for caller in [Self.admin, Self.both, Self.client, Caller.anonymous, Self.wrongCredentials] {
            #expect(code(.admin(configured: false), caller) == "admin_disabled")
        }
    }

    @Test func unauthorisedAnswersNameTheBearerScheme() {
        let refusal = AccessRequirementMiddleware.refusal(.admin(configured: true), caller: .anonymous)
        #expect(refusal?.status == .unauthorized)
        #expect(refusal?.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
        // The message says which: nothing sent, or something sent that is not valid.
        #expect(refusal?.message.contains("required") == true)
        #expect(
            AccessRequirementMiddleware.refusal(.admin(configured: true), caller: Self.wrongCredentials)?.message.contains("not valid")
                == true)
        #expect(AccessRequirementMiddleware.refusal(.clientKey, caller: Self.wrongCredentials)?.message.contains("not valid") == true)
    }

    @Test func theAdminTokenIsReadOnlyFromBearer() {
        let token = AdminToken("the-admin-token")
        #expect(token?.isPresented(in: "Bearer the-admin-token") == true)
        #expect(token?.isPresented(in: "bearer   the-admin-token") == true)
        #expect(token?.isPresented(in: "Basic the-admin-token") == false)
        #expect(token?.isPresented(in: "the-admin-token") == false)
        #expect(token?.isPresented(in: "Bearer the-admin-token2") == false)
        #expect(token?.isPresented(in: nil) == false)
        #expect(AdminToken("") == nil)
        #expect(Caller.anonymous.label == "-")
        #expect(Self.both.label == "admin")
        #expect(Self.client.label == "app")
    }
}
