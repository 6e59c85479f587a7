import Hummingbird

/// `GET /admin/` and its script and style: public, because they hold no data (a browser navigating cannot
/// send the Bearer header); the data comes from `/admin/stats`, which takes the token.
///
/// The headers forbid everything the page does not need: scripts and styles only from this origin, fetches
/// only to it, no framing (clickjacking), no referrer.
struct DashboardRoutes {
    static let securityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        // The router ignores a trailing slash: this answers `/admin/` too (registering both is a duplicate).
        router.on("/admin", method: .get, recordingIn: table) { _, _ in Self.file(DashboardPage.html, type: "text/html; charset=utf-8") }
        router.on("/admin/dashboard.js", method: .get, recordingIn: table) { _, _ in
            Self.file(DashboardPage.script, type: "text/javascript; charset=utf-8")
        }
        router.on("/admin/dashboard.css", method: .get, recordingIn: table) { _, _ in
            Self.file(DashboardPage.css, type: "text/css; charset=utf-8")
        }
    }

    static func file(_ text: String, type: String) -> Response {
        PageResponse.make(text, type: type, securityPolicy: securityPolicy)
    }
}
