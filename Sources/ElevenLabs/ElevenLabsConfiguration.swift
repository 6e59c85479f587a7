/// How to reach ElevenLabs.
public struct ElevenLabsConfiguration: Sendable {
    public static let defaultBaseURL = "https://api.elevenlabs.io"

    public var baseURL: String
    public var apiKey: String
    /// Concurrent generations allowed by the plan (Creator: 5).
    public var maximumConcurrency: Int
    /// Time allowed for one upstream attempt, body included.
    public var attemptTimeout: Duration
    public var retryPolicy: RetryPolicy
    /// Largest body accepted (a very long chapter at 192 kbps stays far below).
    public var maximumAudioBytes: Int

    public init(
        baseURL: String = defaultBaseURL, apiKey: String, maximumConcurrency: Int = 5,
        attemptTimeout: Duration = .seconds(180), retryPolicy: RetryPolicy = RetryPolicy(),
        maximumAudioBytes: Int = 512 << 20
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey
        self.maximumConcurrency = maximumConcurrency
        self.attemptTimeout = attemptTimeout
        self.retryPolicy = retryPolicy
        self.maximumAudioBytes = maximumAudioBytes
    }
}
