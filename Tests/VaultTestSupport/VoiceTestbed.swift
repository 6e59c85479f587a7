public import AsyncHTTPClient
public import Foundation
public import NIOCore
import VaultCore

/// A fake ElevenLabs and a voicevault pointed at it, each a real process on a real socket.
public final class VoiceTestbed: @unchecked Sendable {
    public static let clientKey = "test-client-key"
    public let directory = TemporaryDirectory()
    public let fake: ServerProcess
    public let server: ServerProcess

    /// - Parameter prepareDataDirectory: runs on the data directory's path before the server starts (to mount
    ///   a small file system there, say).
    public init(
        environment: [String: String] = [:], fakeArguments: [String] = [],
        prepareDataDirectory: (String) throws -> Void = { _ in }
    ) throws {
        try prepareDataDirectory(directory.path + "/data")
        fake = try ServerProcess(executable: "fake-elevenlabs", arguments: ["--port", "0"] + fakeArguments)
        var env = [
            "ELEVENLABS_API_KEY": "fake-key", "ELEVENLABS_BASE_URL": fake.baseURL,
            "VOICEVAULT_API_KEYS": "other-key,\(Self.clientKey)", "VOICEVAULT_UPSTREAM_RETRY_BASE_MS": "10",
            "VOICEVAULT_UPSTREAM_CONCURRENCY_WAIT_MS": "10",
            "VOICEVAULT_UPSTREAM_MAX_ATTEMPTS": "3", "VOICEVAULT_UPSTREAM_TIMEOUT_MS": "2000",
        ]
        env.merge(environment) { $1 }
        server = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", directory.path + "/data"],
            environment: env)
    }

    public var dataDirectory: String { directory.path + "/data" }

    public static func requestBody(
        text: String = "Hello, world. This is chapter one.", voice: String = "21m00Tcm4TlvDq8ikWAM",
        book: String = "book-1", extra: String = ""
    ) -> String {
        let escaped = String(
            decoding: (try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])) ?? Data(), as: UTF8.self
        )
        .dropFirst().dropLast()
        return #"{"text":\#(escaped),"voiceId":"\#(voice)","bookId":"\#(book)"\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    public func post(
        _ body: String, key: String? = clientKey, header: String = "Authorization",
        client: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)
    ) async throws -> HTTPResult {
        var headers = ["content-type": "application/json"]
        if let key { headers[header] = header == "Authorization" ? "Bearer \(key)" : key }
        return try await httpRequest(
            "POST", server.baseURL + "/api/voice", headers: headers, body: body,
            client: client, timeout: timeout)
    }

    public func script(voice: String, _ actions: [String]) async throws {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["voiceId": voice, "actions": actions]), as: UTF8.self)
        let result = try await httpRequest("POST", fake.baseURL + "/_fake/script", body: body)
        precondition(result.status == 200, "script rejected: \(result.body)")
    }

    public func upstreamCalls(voice: String? = nil) async throws -> Int {
        let result = try await httpRequest("GET", fake.baseURL + "/_fake/calls")
        let object = try JSONSerialization.jsonObject(with: Data(result.body.utf8)) as? [String: Any]
        if let voice { return (object?["byVoice"] as? [String: Int])?[voice] ?? 0 }
        return object?["total"] as? Int ?? -1
    }

    /// When the fake received each of `voice`'s calls, in seconds on its own clock (oldest first).
    public func upstreamCallTimes(voice: String) async throws -> [Double] {
        let result = try await httpRequest("GET", fake.baseURL + "/_fake/calls")
        let object = try JSONSerialization.jsonObject(with: Data(result.body.utf8)) as? [String: Any]
        return ((object?["timesByVoice"] as? [String: Any])?[voice] as? [Double]) ?? []
    }

    /// The hash VoiceVault will use for a default request with this text and voice.
    public static func hash(text: String, voice: String = "21m00Tcm4TlvDq8ikWAM") throws -> String {
        try SpeechSpec(text: text, voiceId: voice).contentHash.hex
    }

    public func filesUnder(_ relative: String) -> [String] {
        (try? FileManager.default.subpathsOfDirectory(atPath: dataDirectory + "/" + relative)) ?? []
    }

    deinit {
        _ = server.terminate()
        // The fake may be holding a scripted "hang"; it has nothing to shut down gracefully.
        _ = fake.terminate(signal: SIGKILL)
    }
}

public func json(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
}
