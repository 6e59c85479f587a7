/// What went wrong talking to ElevenLabs, classified for the retry policy and for the client-visible error.
public enum UpstreamFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// 429 `too_many_concurrent_requests` / `concurrent_limit_exceeded`: our plan's slots are full.
    case concurrencyLimited(retryAfterSeconds: Double?)
    /// 429 `system_busy` / `rate_limit_exceeded`: ElevenLabs is overloaded; back off.
    case busy(retryAfterSeconds: Double?)
    /// 5xx.
    case serverError(status: Int, message: String)
    /// No answer in time.
    case timeout
    /// The connection failed or was reset, possibly mid-body.
    case connection(String)
    /// 401/403 for our key: misconfiguration, never the caller's fault.
    case authentication(status: Int, message: String)
    /// Quota or character limit on the account.
    case quotaExceeded(message: String)
    /// 404 voice_not_found.
    case voiceNotFound(voiceId: String, message: String)
    /// 404 to a request that names no voice (the model and voice listings): upstream lacks what was asked.
    case notFound(message: String)
    /// Other 4xx (400, 422): the request itself is wrong.
    case rejected(status: Int, code: String, message: String)
    /// 200, but the body is not a complete MP3 (empty, truncated, HTML, ...). Nothing is stored.
    case invalidAudio(String)

    /// Whether trying the same request again may succeed.
    public var isRetryable: Bool {
        switch self {
        case .concurrencyLimited, .busy, .serverError, .timeout, .connection, .invalidAudio: true
        case .authentication, .quotaExceeded, .voiceNotFound, .notFound, .rejected: false
        }
    }

    public var description: String {
        switch self {
        case .concurrencyLimited: "ElevenLabs refused: too many concurrent requests"
        case .busy: "ElevenLabs is busy"
        case let .serverError(status, message): "ElevenLabs failed with \(status): \(message)"
        case .timeout: "ElevenLabs did not answer in time"
        case let .connection(reason): "connection to ElevenLabs failed: \(reason)"
        case let .authentication(status, message): "ElevenLabs rejected the server's API key (\(status)): \(message)"
        case let .quotaExceeded(message): "the ElevenLabs account is out of quota: \(message)"
        case let .voiceNotFound(voiceId, _): "ElevenLabs has no voice '\(voiceId)'"
        case let .notFound(message): "ElevenLabs answered 404: \(message)"
        case let .rejected(status, code, message): "ElevenLabs rejected the request (\(status) \(code)): \(message)"
        case let .invalidAudio(reason): "ElevenLabs returned unusable audio: \(reason)"
        }
    }

    /// A short, fixed name for metrics labels (`voicevault_upstream_retries_total{reason}`).
    public var reason: String {
        switch self {
        case .concurrencyLimited: "concurrency_limited"
        case .busy: "busy"
        case .serverError: "server_error"
        case .timeout: "timeout"
        case .connection: "connection"
        case .authentication: "authentication"
        case .quotaExceeded: "quota_exceeded"
        case .voiceNotFound: "voice_not_found"
        case .notFound: "not_found"
        case .rejected: "rejected"
        case .invalidAudio: "invalid_audio"
        }
    }
}
