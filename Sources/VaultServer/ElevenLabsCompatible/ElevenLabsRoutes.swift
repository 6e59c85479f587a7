import Foundation
import Hummingbird
import NIOCore
import VaultCore

/// ElevenLabs' text-to-speech and text-to-dialogue APIs at the server root, as the official SDKs call them with
/// `base_url`: the same four endpoints each, body and query, answered from VoiceVault's cache and in
/// ElevenLabs' shapes. The client key goes in `xi-api-key` (any of VoiceVault's key headers works).
///
/// `Cache-Control: no-cache` and `Pragma: no-cache` on a request are not read: the JS SDK sends them on every
/// call (its fetch uses `cache: "no-store"`), and they are about HTTP caches between it and us, not about
/// whether audio already paid for may be served.
struct ElevenLabsRoutes {
    let speech: CompatibleSpeech

    enum Endpoint: String, CaseIterable {
        case convert = ""
        case stream = "/stream"
        case withTimestamps = "/with-timestamps"
        case streamWithTimestamps = "/stream/with-timestamps"
    }

    /// How a route's body and query become a spec.
    typealias Parse = @Sendable (_ body: [UInt8], _ query: [String: String], _ maximumTextCharacters: Int) throws -> SpeechSpec

    func register(on group: RouterGroup<VaultRequestContext>, table: RouteTable) {
        for endpoint in Endpoint.allCases {
            group.on("/v1/text-to-speech/:voice" + endpoint.rawValue, method: .post, recordingIn: table) { request, context in
                let voiceId = context.parameters.get("voice") ?? ""
                return try await answer(request, context, endpoint: endpoint, dialogue: false) { body, query, maximum in
                    try ElevenLabsSpeechRequest.parse(voiceId: voiceId, body: body, query: query, maximumTextCharacters: maximum).spec
                }
            }
            group.on("/v1/text-to-dialogue" + endpoint.rawValue, method: .post, recordingIn: table) { request, context in
                try await answer(request, context, endpoint: endpoint, dialogue: true) { body, query, maximum in
                    try ElevenLabsDialogueRequest.parse(body: body, query: query, maximumTextCharacters: maximum)
                }
            }
        }
    }

    func answer(_ request: Request, _ context: VaultRequestContext, endpoint: Endpoint, dialogue: Bool, parse: @escaping Parse)
        async throws -> Response
    {
        let book = try speech.book(request)
        let body = Array(buffer: try await request.body.collect(upTo: speech.configuration.maximumBodyBytes))
        var query = [String: String]()
        for name in ["output_format", "enable_logging", "optimize_streaming_latency"] {
            query[name] = request.uri.queryParameters.get(name)
        }
        let maximum = speech.configuration.maximumTextCharacters
        let parameters = query
        let spec = try await VoiceRoutes.validated(bodySize: body.count) { try parse(body, parameters, maximum) }
        let answer = try await speech.answer(spec, book: book, context: context)
        switch endpoint {
        case .convert, .stream:
            // A miss streams live to the streaming endpoint, from the first staged piece.
            return try await speech.audioResponse(answer, spec: spec, book: book, streamLive: endpoint == .stream)
        case .withTimestamps:
            let outcome = try await answer.outcome
            let (audio, alignment) = try await speech.timedAudio(outcome, book: book)
            let json = try TimestampedAudioJSON(audio: audio[...], alignment: alignment, dialogue: dialogue).encoded()
            return Response(
                status: .ok, headers: CompatibleSpeech.headers(outcome, contentType: "application/json"),
                body: .init(byteBuffer: ByteBuffer(data: json)))
        case .streamWithTimestamps:
            // ElevenLabs labels this stream application/json too; every line carries whole base64 of its own bytes.
            if case let .live(generation, leads, _) = answer,
                let live = try await CompatibleSpeech.liveResponse(
                    generation, leads: leads, spec: spec, contentType: "application/json",
                    render: { piece in
                        guard !piece.audio.isEmpty || piece.alignment != nil else { return nil }
                        return try TimestampedAudioJSON(audio: piece.audio[...], alignment: piece.alignment, dialogue: dialogue).line()
                    })
            {
                return live
            }
            let outcome = try await answer.outcome
            let (audio, alignment) = try await speech.timedAudio(outcome, book: book)
            let chunks = TimedAudioChunks.plan(audio, info: try MP3Inspector.inspect(audio), alignment: alignment)
            return Response(
                status: .ok, headers: CompatibleSpeech.headers(outcome, contentType: "application/json"),
                body: ResponseBody { writer in
                    for chunk in chunks {
                        try await writer.write(
                            try TimestampedAudioJSON(audio: audio[chunk.bytes], alignment: chunk.alignment, dialogue: dialogue).line())
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
