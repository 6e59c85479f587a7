/// What the fake does with one request. Scripted per voice (`POST /_fake/script`) or per request
/// (`x-fake-action` header); the default is `ok`.
enum FakeAction: Equatable, Sendable {
    case ok
    /// Answer normally after a delay.
    case latency(milliseconds: Int)
    case concurrencyLimited
    case systemBusy
    case serverError
    case unavailable
    /// Accept the request and never answer.
    case hang
    /// Streams the first piece, then holds the rest until `POST /_fake/release` (a non-streamed answer waits
    /// whole): a generation a test keeps in progress for exactly as long as it needs, whatever the load.
    case held
    /// Send the head and half the body, then drop the connection.
    case resetMidBody
    /// A 200 whose MP3 is cut mid-frame (with a Content-Length that matches the cut body).
    case truncatedBody
    /// A 200 with an HTML page instead of audio.
    case notMP3
    case unauthorized
    case voiceNotFound
    case unprocessable
    case empty

    init?(_ text: String) {
        switch text {
        case "ok": self = .ok
        case "429-concurrent": self = .concurrencyLimited
        case "429-busy": self = .systemBusy
        case "500": self = .serverError
        case "503": self = .unavailable
        case "hang": self = .hang
        case "hold": self = .held
        case "reset": self = .resetMidBody
        case "truncated": self = .truncatedBody
        case "not-mp3": self = .notMP3
        case "401": self = .unauthorized
        case "404": self = .voiceNotFound
        case "422": self = .unprocessable
        case "empty": self = .empty
        default:
            guard text.hasPrefix("latency:"), let ms = Int(text.dropFirst("latency:".count)), ms >= 0 else { return nil }
            self = .latency(milliseconds: ms)
        }
    }
}
