import Hummingbird
import NIOCore

/// The site icon the listen page and the dashboard declare (`/favicon.svg`), and an answer at the address
/// browsers ask by default (`/favicon.ico`): without one, every page load logs a 404 in the browser's console.
/// There is no raster icon, so `/favicon.ico` answers 204 (nothing to show, nothing wrong), cached for a day.
struct SiteIconRoutes {
    static let svg = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">\
        <rect width="32" height="32" rx="7" fill="#1f3a5f"/>\
        <path d="M7 13v6M11 10v12M15 7v18M19 11v10M23 14v4" stroke="#f4d35e" stroke-width="2.5" stroke-linecap="round"/>\
        </svg>
        """

    func register(on router: Router<some RequestContext>, table: RouteTable) {
        router.on("/favicon.svg", method: .get, recordingIn: table) { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "image/svg+xml"
            headers[.cacheControl] = "public, max-age=86400"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.svg)))
        }
        router.on("/favicon.ico", method: .get, recordingIn: table) { _, _ -> Response in
            Response(status: .noContent, headers: [.cacheControl: "public, max-age=86400"])
        }
    }
}
