import Hummingbird
import NIOCore
import VaultCore

/// `POST /v1/audio/speech` in OpenAI's shape (`OpenAISpeechRequest`), answered with the MP3 from the cache.
struct OpenAIRoutes {
    let speech: CompatibleSpeech

    func register(on group: RouterGroup<VaultRequestContext>, table: RouteTable) {
        group.on("/v1/audio/speech", method: .post, recordingIn: table) { request, context in
            let book = try speech.book(request)
            let body = Array(buffer: try await request.body.collect(upTo: speech.configuration.maximumBodyBytes))
            let maximum = speech.configuration.maximumTextCharacters
            let parse: @Sendable () throws -> OpenAISpeechRequest = {
                try OpenAISpeechRequest.parse(body: body, maximumTextCharacters: maximum)
            }
            let parsed = try await VoiceRoutes.validated(bodySize: body.count, parse)
            let answer = try await speech.answer(parsed.spec, book: book, context: context)
            // OpenAI's speech answer is chunked audio: a miss streams live from the first staged piece.
            return try await speech.audioResponse(answer, spec: parsed.spec, book: book, streamLive: true)
        }
    }
}
