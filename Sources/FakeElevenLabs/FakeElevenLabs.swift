import Foundation
import Hummingbird
import Logging
import VaultCore

/// A local server that speaks the ElevenLabs text-to-speech API, for tests, benchmarks and demos.
///
///     fake-elevenlabs [--host 127.0.0.1] [--port 0] [--api-key fake-key] [--latency-ms 0] [--max-concurrent 0]
///
/// Endpoints: `POST /v1/text-to-speech/{voice}[/stream][/with-timestamps]`, `GET /v1/voices`, `GET /v1/models`.
/// Control: `POST /_fake/script {"voiceId","actions":[...]}`, `GET /_fake/calls`, `GET /_fake/requests` (the last
/// 100 request bodies), `POST /_fake/release` (held generations go on), `POST /_fake/reset`; a request
/// header `x-fake-action: <action>` scripts one request (actions in FakeAction.swift). Audio is silent MP3
/// lasting about 1/15 s per character, so duration grows with the text.
@main
struct FakeElevenLabs {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func option(_ name: String) -> String? {
            arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        let host = option("--host") ?? "127.0.0.1"
        let port = option("--port").flatMap(Int.init) ?? 0
        let apiKey = option("--api-key") ?? ProcessInfo.processInfo.environment["FAKE_ELEVENLABS_API_KEY"] ?? "fake-key"
        let latency = option("--latency-ms").flatMap(Int.init) ?? 0
        let state = FakeState(maximumConcurrent: option("--max-concurrent").flatMap(Int.init) ?? 0)
        let logger = {
            var logger = Logger(label: "fake-elevenlabs")
            logger.logLevel = .notice
            return logger
        }()

        let router = Router()
        FakeRoutes(state: state, apiKey: apiKey, defaultLatency: latency).register(on: router)
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "fake-elevenlabs"),
            onServerRunning: { channel in
                logger.notice("listening", metadata: ["port": "\(channel.localAddress?.port ?? port)"])
            },
            logger: logger)
        try await app.runService()
    }
}

struct FakeRoutes {
    let state: FakeState
    let apiKey: String
    let defaultLatency: Int

    func register(on router: Router<BasicRequestContext>) {
        for suffix in ["", "/stream", "/with-timestamps", "/stream/with-timestamps"] {
            router.post(RouterPath("/v1/text-to-speech/:voice" + suffix)) { request, context in
                try await synthesize(request, context, endpoint: suffix.isEmpty ? "convert" : String(suffix.dropFirst()))
            }
            router.post(RouterPath("/v1/text-to-dialogue" + suffix)) { request, context in
                try await synthesize(
                    request, context, endpoint: "dialogue" + (suffix.isEmpty ? "" : "/" + String(suffix.dropFirst())), dialogue: true)
            }
        }
        router.get("/v1/voices") { _, _ in
            json(
                #"{"voices":[{"voice_id":"21m00Tcm4TlvDq8ikWAM","name":"Rachel","category":"premade","labels":{}},{"voice_id":"pNInz6obpgDQGcFmaJgB","name":"Adam","category":"premade","labels":{}}]}"#
            )
        }
        router.get("/v1/models") { _, _ in
            json(
                #"[{"model_id":"eleven_multilingual_v2","name":"Eleven Multilingual v2","can_do_text_to_speech":true,"maximum_text_length_per_request":10000,"model_rates":{"character_cost_multiplier":1.0}},{"model_id":"eleven_flash_v2_5","name":"Eleven Flash v2.5","can_do_text_to_speech":true,"maximum_text_length_per_request":40000,"model_rates":{"character_cost_multiplier":0.5}}]"#
            )
        }
        // What `voicevault doctor` calls to prove the key works: cheap, authenticated, and it says how much of the
        // plan is left (the characters counted are the fake's own calls).
        router.get("/v1/user/subscription") { request, _ in
            guard request.headers[.init("xi-api-key")!] == apiKey else {
                return error(401, "invalid_api_key", "Invalid API key", legacy: true)
            }
            let used = await state.totalCalls * 100
            return json(
                #"{"tier":"creator","character_count":\#(used),"character_limit":100000,"status":"active","next_character_count_reset_unix":1893456000}"#
            )
        }
        router.get("/_fake/calls") { _, _ in
            let total = await state.totalCalls
            let byVoice = await state.callsByVoice
            let byEndpoint = await state.callsByEndpoint
            let peak = await state.peakConcurrent
            let times = await state.callTimesByVoice
            let body: [String: Any] = [
                "total": total, "byVoice": byVoice, "byEndpoint": byEndpoint, "peakConcurrent": peak, "timesByVoice": times,
            ]
            return json(String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self))
        }
        router.get("/_fake/requests") { _, _ in
            json("[" + (await state.recentBodies).joined(separator: ",") + "]")
        }
        router.post("/_fake/release") { _, _ in
            await state.release()
            return json(#"{"ok":true}"#)
        }
        router.post("/_fake/reset") { _, _ in
            await state.reset()
            return json(#"{"ok":true}"#)
        }
        router.post("/_fake/script") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                let voice = object["voiceId"] as? String, let names = object["actions"] as? [String]
            else { return error(400, "bad_script", "expected {\"voiceId\":\"...\",\"actions\":[...]}") }
            let actions = names.compactMap(FakeAction.init)
            guard actions.count == names.count else { return error(400, "bad_script", "unknown action in \(names)") }
            await state.script(voice: voice, actions: actions)
            return json(#"{"ok":true}"#)
        }
    }

    /// A dialogue's lines as one text, joined by line feeds (what its alignment follows), and each line's voice
    /// and characters in it; nil when the body is not a dialogue upstream would accept (at most 10 voices).
    static func dialogueText(_ object: [String: Any]) -> (text: String, lines: [(voice: String, range: Range<Int>)])? {
        guard let inputs = object["inputs"] as? [[String: Any]], !inputs.isEmpty else { return nil }
        var text = ""
        var lines = [(voice: String, range: Range<Int>)]()
        var count = 0
        for input in inputs {
            guard let line = input["text"] as? String, let voice = input["voice_id"] as? String, !line.isEmpty else { return nil }
            if !text.isEmpty {
                text += "\n"
                count += 1
            }
            let length = line.unicodeScalars.count
            lines.append((voice, count..<(count + length)))
            text += line
            count += length
        }
        guard Set(lines.map(\.voice)).count <= 10 else { return nil }
        return (text, lines)
    }

    func synthesize(_ request: Request, _ context: BasicRequestContext, endpoint requestedEndpoint: String, dialogue: Bool = false)
        async throws -> Response
    {
        // A dialogue answers in the shapes of the speech endpoint of the same suffix.
        let endpoint = dialogue ? (requestedEndpoint == "dialogue" ? "convert" : String(requestedEndpoint.dropFirst(9))) : requestedEndpoint
        let requested = request.headers[.init("x-fake-action")!].flatMap(FakeAction.init)
        let bodyBuffer = try await request.body.collect(upTo: 4 << 20)
        let object = try? JSONSerialization.jsonObject(with: Data(buffer: bodyBuffer)) as? [String: Any]
        let script = dialogue ? object.flatMap(Self.dialogueText) : nil
        let voice = dialogue ? script?.lines.first?.voice ?? "" : context.parameters.get("voice") ?? ""
        let action = await state.begin(voice: voice, endpoint: requestedEndpoint, requested: requested)
        guard request.headers[.init("xi-api-key")!] == apiKey else {
            return error(401, "invalid_api_key", "Invalid API key", legacy: true)
        }
        await state.remember(body: String(buffer: bodyBuffer))
        guard let object, let text = dialogue ? script?.text : object["text"] as? String, !text.isEmpty else {
            return Response(
                status: .unprocessableContent, headers: [.contentType: "application/json"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: #"{"detail":[{"type":"missing","loc":["body","text"],"msg":"Field required","input":{}}]}"#)))
        }
        if let settings = object["voice_settings"] as? [String: Any], settings.values.contains(where: { $0 is NSNull }) {
            return error(422, "invalid_voice_settings", "null is not a valid voice setting")
        }
        for field in ["previous_request_ids", "next_request_ids"] {
            guard let ids = object[field] else { continue }
            guard let list = ids as? [String], list.count <= 3 else {
                return error(400, "invalid_request_ids", "\(field) must be a list of at most 3 request ids")
            }
            for id in list where !(await state.issued(id)) {
                return error(400, "invalid_request_ids", "\(field) names \(id), which is not a request of this account")
            }
        }
        guard await state.enter() else {
            return error(429, "too_many_concurrent_requests", "Too many concurrent requests", legacy: false)
        }
        defer { Task { await state.leave() } }
        // Streamed endpoints answer at once and send their first bytes after a tenth of the latency, the rest
        // spread over the remainder, as ElevenLabs streams; the others answer after the whole latency.
        var latency = defaultLatency
        if case let .latency(ms) = action { latency = ms }
        let streamed = endpoint.hasPrefix("stream")
        if latency > 0, !streamed { try await Task.sleep(for: .milliseconds(latency)) }

        // Silence in the format asked for; WAV only from the routes that do not stream, as upstream offers it.
        let requestedFormat = request.uri.queryParameters.get("output_format").map { String($0) } ?? OutputFormat.default
        guard let format = AudioFormat(outputFormat: requestedFormat), !(streamed && format.codec == .wav) else {
            return error(400, "invalid_output_format", "output_format \(requestedFormat) is not offered on this route")
        }
        let audio = SilentAudio.make(
            format, seconds: max(0.3, Double(text.unicodeScalars.count) / 15), seed: UInt8(truncatingIfNeeded: text.hashValue))
        var headers: HTTPFields = [.contentType: format.contentType]
        headers[.init("request-id")!] = await state.issueRequestId()
        headers[.init("history-item-id")!] = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20).description
        headers[.init("character-cost")!] = String(text.unicodeScalars.count)
        var body = audio
        switch action {
        case .ok, .latency: break
        case .held where !streamed: await state.waitForRelease()
        case .held: break
        case .concurrencyLimited: return error(429, "too_many_concurrent_requests", "Too many concurrent requests", legacy: true)
        case .systemBusy: return error(429, "system_busy", "The system is experiencing heavy traffic", legacy: false)
        case .serverError: return error(500, "internal_error", "Internal server error")
        case .unavailable: return error(503, "service_unavailable", "Service unavailable")
        case .hang:
            try await Task.sleep(for: .seconds(3600))
        case .resetMidBody:
            let whole =
                endpoint.hasSuffix("with-timestamps")
                ? Array(timestampLines(text, audio: audio, format: format, pieces: 4, script: script?.lines).joined().utf8) : audio
            let half = ByteBuffer(bytes: whole.prefix(whole.count / 2))
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(contentLength: whole.count) { writer in
                    try await writer.write(half)
                    throw CancellationError()
                })
        case .truncatedBody:
            body = Array(audio.dropLast(100))
        case .notMP3:
            headers[.contentType] = "text/html"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "<html><body>Bad gateway</body></html>")))
        case .unauthorized: return error(401, "invalid_api_key", "Invalid API key", legacy: true)
        case .voiceNotFound:
            return error(404, "voice_not_found", "A voice with the voice_id \(voice) was not found.", legacy: true)
        case .unprocessable:
            return Response(
                status: .unprocessableContent, headers: [.contentType: "application/json"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string:
                            #"{"detail":[{"type":"float_parsing","loc":["body","voice_settings","stability"],"msg":"Input should be a valid number","input":"x"}]}"#
                    )))
        case .empty:
            return Response(status: .ok, headers: headers, body: .init())
        }

        let pieces: [ByteBuffer]
        switch endpoint {
        case "with-timestamps":
            headers[.contentType] = "application/json"
            pieces = [
                ByteBuffer(
                    string: String(timestampLines(text, audio: body, format: format, pieces: 1, script: script?.lines)[0].dropLast()))
            ]
        case "stream/with-timestamps":
            headers[.contentType] = "application/json"
            pieces = timestampLines(text, audio: body, format: format, pieces: Self.streamPieces(body.count), script: script?.lines).map {
                ByteBuffer(string: $0)
            }
        case "stream":
            let size = max(1, body.count / Self.streamPieces(body.count) + 1)
            pieces = stride(from: 0, to: body.count, by: size).map { ByteBuffer(bytes: body[$0..<min($0 + size, body.count)]) }
        default:
            pieces = [ByteBuffer(bytes: body)]
        }
        if streamed, case .held = action {
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { [state] writer in
                    for (index, piece) in pieces.enumerated() {
                        if index == 1 { await state.waitForRelease() }
                        try await writer.write(piece)
                    }
                    try await writer.finish(nil)
                })
        }
        guard streamed, latency > 0 else {
            return Response(status: .ok, headers: headers, body: .init(contentsOf: pieces))
        }
        let firstByte = latency / 10
        let between = pieces.count > 1 ? (latency - firstByte) / (pieces.count - 1) : 0
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await Task.sleep(for: .milliseconds(firstByte))
                for (index, piece) in pieces.enumerated() {
                    if index > 0, between > 0 { try await Task.sleep(for: .milliseconds(between)) }
                    try await writer.write(piece)
                }
                try await writer.finish(nil)
            })
    }

    /// How many chunks a streamed answer comes in: about one per 16 KiB, at least two, so that every stream
    /// test sees audio arrive in more than one piece.
    static func streamPieces(_ bytes: Int) -> Int { max(2, bytes / 16_384) }

    /// The audio as `pieces` timestamped JSON lines, each ending in a line feed: every line carries its own
    /// slice of the audio and the characters spoken during it, with times counted from the start, as
    /// ElevenLabs' stream does. Characters are Unicode scalars spread evenly over the audio's duration. The
    /// `normalized_alignment` follows the text as spoken: each digit spelled out as a word ("5" as "five"), as
    /// upstream's normalisation does with numbers, spread over the same piece.
    /// A dialogue's lines (`script`) add `voice_segments`: each line's part of the piece, its character indices and
    /// times counted from the start of the answer, as the times are.
    func timestampLines(
        _ text: String, audio: [UInt8], format: AudioFormat, pieces: Int, script: [(voice: String, range: Range<Int>)]? = nil
    ) -> [String] {
        let characters = text.unicodeScalars.map(String.init)
        let duration = (try? AudioInspection.durationSeconds(audio, format: format)) ?? 0
        let step = characters.isEmpty ? 0 : duration / Double(characters.count)
        func spoken(_ indices: Range<Int>) -> Any {
            guard !indices.isEmpty else { return NSNull() }
            let said = characters[indices].flatMap { character -> [String] in
                guard let digit = Int(character), character.unicodeScalars.allSatisfy({ $0.isASCII }) else { return [character] }
                return Self.digitNames[digit].unicodeScalars.map(String.init)
            }
            let start = Double(indices.lowerBound) * step
            let each = Double(indices.count) * step / Double(said.count)
            return [
                "characters": said,
                "character_start_times_seconds": said.indices.map { start + Double($0) * each },
                "character_end_times_seconds": said.indices.map { start + Double($0 + 1) * each },
            ] as [String: Any]
        }
        let size = max(1, (audio.count + pieces - 1) / pieces)
        var lines = [String]()
        var next = 0
        for start in stride(from: 0, to: max(audio.count, 1), by: size) {
            let end = min(start + size, audio.count)
            let last = end >= audio.count
            let until =
                last ? characters.count : min(characters.count, Int(Double(end) / Double(max(audio.count, 1)) * Double(characters.count)))
            let indices = next..<max(next, until)
            next = indices.upperBound
            let alignment: Any =
                indices.isEmpty
                ? NSNull()
                : [
                    "characters": Array(characters[indices]),
                    "character_start_times_seconds": indices.map { Double($0) * step },
                    "character_end_times_seconds": indices.map { Double($0 + 1) * step },
                ] as [String: Any]
            var object: [String: Any] = [
                "audio_base64": Data(audio[start..<end]).base64EncodedString(),
                "alignment": alignment, "normalized_alignment": spoken(indices),
            ]
            if let script {
                object["voice_segments"] = script.enumerated().compactMap { number, line -> [String: Any]? in
                    let part = line.range.clamped(to: indices)
                    guard !part.isEmpty else { return nil }
                    return [
                        "voice_id": line.voice, "start_time_seconds": Double(part.lowerBound) * step,
                        "end_time_seconds": Double(part.upperBound) * step, "character_start_index": part.lowerBound,
                        "character_end_index": part.upperBound, "dialogue_input_index": number,
                    ]
                }
            }
            lines.append(String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self) + "\n")
        }
        return lines
    }

    static let digitNames = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// An error in ElevenLabs' shapes: legacy `{"detail":{"status","message"}}` or current `{"detail":{"type","code",...}}`.
    func error(_ status: Int, _ code: String, _ message: String, legacy: Bool = false) -> Response {
        let detail: [String: Any] =
            legacy
            ? ["status": code, "message": message]
            : ["type": "error", "code": code, "message": message, "status": code, "request_id": UUID().uuidString, "param": NSNull()]
        let data = (try? JSONSerialization.data(withJSONObject: ["detail": detail], options: [.sortedKeys])) ?? Data()
        return Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
