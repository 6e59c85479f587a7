import Hummingbird
import NIOCore

/// A page or one of its static files, with the headers every page VoiceVault serves carries: its own
/// Content-Security-Policy, no framing (clickjacking), no referrer, revalidated on every load.
enum PageResponse {
    static func make(_ text: String, type: String, securityPolicy: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        headers[.contentSecurityPolicy] = securityPolicy
        headers[.init("x-frame-options")!] = "DENY"
        headers[.init("referrer-policy")!] = "no-referrer"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
