import Foundation

/// Turns a non-2xx ElevenLabs answer into an `UpstreamFailure`. Handles both error shapes ElevenLabs uses:
/// legacy `{"detail":{"status":"<code>","message":...}}`, current `{"detail":{"type","code","message",...}}`,
/// and the 422 pydantic list `{"detail":[{"type","loc","msg","input"}]}`.
public enum ErrorClassifier {
    public struct Detail: Equatable, Sendable {
        public var code: String
        public var message: String
    }

    /// - Parameter voiceId: the voice the request named, or nil for a request that names none (the model and
    ///   voice listings): a 404 there says nothing about a voice.
    public static func classify(
        status: Int, body: [UInt8], retryAfter: String?, retryAfterMilliseconds: String?, voiceId: String?
    ) -> UpstreamFailure {
        let detail = parseDetail(body)
        let code = detail.code
        let message = detail.message
        let wait = retryAfterMilliseconds.flatMap(Double.init).map { $0 / 1000 } ?? retryAfter.flatMap(Double.init)
        switch status {
        case 429:
            if code == "system_busy" || code == "rate_limit_exceeded" { return .busy(retryAfterSeconds: wait) }
            return .concurrencyLimited(retryAfterSeconds: wait)
        case 401, 403:
            if code == "quota_exceeded" { return .quotaExceeded(message: message) }
            return .authentication(status: status, message: message)
        case 404:
            guard let voiceId else { return .notFound(message: message) }
            return .voiceNotFound(voiceId: voiceId, message: message)
        case 400 where code == "quota_exceeded":
            return .quotaExceeded(message: message)
        case 408:
            return .timeout
        case 500...599:
            return .serverError(status: status, message: message)
        default:
            return .rejected(status: status, code: code, message: message)
        }
    }

    static func parseDetail(_ body: [UInt8]) -> Detail {
        let fallback = Detail(code: "unknown", message: String(decoding: body.prefix(300), as: UTF8.self))
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return fallback }
        if let detail = object["detail"] as? [String: Any] {
            let code = (detail["code"] as? String) ?? (detail["status"] as? String) ?? "unknown"
            return Detail(code: code, message: (detail["message"] as? String) ?? fallback.message)
        }
        if let list = object["detail"] as? [[String: Any]], let first = list.first {
            let location = (first["loc"] as? [Any])?.map { "\($0)" }.joined(separator: ".") ?? ""
            return Detail(
                code: (first["type"] as? String) ?? "validation_error",
                message: [location, first["msg"] as? String ?? ""].filter { !$0.isEmpty }.joined(separator: ": "))
        }
        if let text = object["detail"] as? String { return Detail(code: "unknown", message: text) }
        return fallback
    }
}
