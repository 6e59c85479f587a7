public import Hummingbird
import VaultCore

/// Which cross-origin requests browsers may make, and the headers that say so (the Fetch standard's CORS
/// protocol). Pure: request headers in, response headers out.
///
/// Browser apps are the point: supabase-js in a reading app sends `apikey`, `authorization` and
/// `x-client-info` from the app's own origin, which makes every Storage call a preflighted request, and a
/// player seeking with `fetch` needs to read `Content-Range`. Supabase answers these with
/// `Access-Control-Allow-Origin: *`, so that is the default; `VOICEVAULT_CORS_ORIGINS` narrows it to a list
/// (answered by echoing the matching origin, with `Vary: Origin`) or `none` turns CORS off. No credentials
/// are ever allowed: keys travel in headers, never in cookies.
public struct CrossOriginPolicy: Sendable, Equatable {
    public enum Origins: Sendable, Equatable {
        case none
        case any
        case list(Set<String>)
    }

    public let origins: Origins

    public init(origins: Origins) {
        self.origins = origins
    }

    /// `*` (default), `none`, or a comma-separated list of origins such as `https://app.example`.
    public init(setting: String?) {
        let value = (setting ?? "*").trimmingCharacters(in: .whitespaces)
        switch value.lowercased() {
        case "*", "": origins = .any
        case "none": origins = .none
        default:
            origins = .list(Set(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }))
        }
    }

    /// PATCH is TUS's: resumable uploads from a browser (tus-js-client, Uppy) send their bytes with it.
    static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
    /// `allowedMethods` as lower-case names, for a byte comparison with `Access-Control-Request-Method`.
    static let allowedMethodNames = ["get", "head", "post", "put", "patch", "delete"]
    /// What a browser needs to see of our answers: ranges, validators, cache verdicts, and where a resumable
    /// upload lives and how far it got.
    static let exposedHeaders =
        "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Content-Disposition, X-Cache, X-Content-Hash, Server-Timing, "
        + "Location, Upload-Offset, Upload-Length, Upload-Expires, Upload-Metadata, Upload-Defer-Length, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size"
    static let defaultAllowedHeaders =
        "authorization, apikey, x-client-info, xi-api-key, content-type, x-upsert, x-metadata, cache-control, range, if-none-match, if-modified-since, if-range, "
        + "tus-resumable, upload-length, upload-offset, upload-metadata, upload-defer-length, x-signature"
    static let maxAgeSeconds = "86400"

    /// The value of `Access-Control-Allow-Origin` for a request from `origin`, or nil when it is not allowed.
    /// An origin is ASCII (RFC 6454 serialises hosts in their ASCII form); any other is refused before it is
    /// hashed or compared as a `String` (see `FieldBytes`).
    func allowedOrigin(_ origin: String) -> String? {
        switch origins {
        case .none: nil
        case .any: "*"
        case let .list(allowed): FieldBytes.isASCII(origin.utf8) && allowed.contains(origin) ? origin : nil
        }
    }

    /// Headers for an actual (non-preflight) response to a request carrying `Origin`.
    public func responseHeaders(origin: String) -> HTTPFields {
        var headers = HTTPFields()
        guard let allowed = allowedOrigin(origin) else { return headers }
        headers[.accessControlAllowOrigin] = allowed
        headers[.accessControlExposeHeaders] = Self.exposedHeaders
        if case .list = origins { headers[.vary] = "Origin" }
        return headers
    }

    /// Whether a request is a CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`.
    public static func isPreflight(method: HTTPRequest.Method, headers: HTTPFields) -> Bool {
        method == .options && headers[.origin] != nil && headers[.accessControlRequestMethod] != nil
    }

    /// The answer to a preflight: 204 with what is allowed, or 403 when the origin or the method is not.
    public func preflight(origin: String, requestedMethod: String, requestedHeaders: String?) -> (
        status: HTTPResponse.Status, headers: HTTPFields
    ) {
        var headers = HTTPFields()
        if case .list = origins { headers[.vary] = "Origin" }
        let method = FieldBytes.trimmed(requestedMethod.utf8)
        guard let allowed = allowedOrigin(origin),
            Self.allowedMethodNames.contains(where: { FieldBytes.equalsIgnoringCase(method, $0) })
        else { return (.forbidden, headers) }
        headers[.accessControlAllowOrigin] = allowed
        headers[.accessControlAllowMethods] = Self.allowedMethods
        // Echoing what the browser asks for is safe without credentials, and keeps new client headers working;
        // only a list of header names is echoed, anything else gets the default list.
        headers[.accessControlAllowHeaders] =
            requestedHeaders.flatMap { Self.isHeaderNameList($0) ? $0 : nil } ?? Self.defaultAllowedHeaders
        headers[.accessControlMaxAge] = Self.maxAgeSeconds
        return (.noContent, headers)
    }

    /// Whether `value` is a non-empty comma-separated list of header names (tokens), as browsers send in
    /// `Access-Control-Request-Headers`. Bytes only.
    static func isHeaderNameList(_ value: String) -> Bool {
        var sawName = false
        for byte in value.utf8 {
            if FieldBytes.isTokenCharacter(byte) {
                sawName = true
                continue
            }
            guard byte == UInt8(ascii: ",") || FieldBytes.isOptionalWhitespace(byte) else { return false }
        }
        return sawName
    }
}
