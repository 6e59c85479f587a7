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
            let parsed = body.count > VoiceRoutes.inlineValidationBytes ? try await BlockingIO.run(parse) : try parse()
            let answer = try await speech.answer(parsed.spec, book: book, context: context)
            // OpenAI's speech answer is chunked audio: a miss streams live from the first staged piece.
            if case let .live(generation, leads, _) = answer {
                try await generation.firstAudio()
                return Response(status: .ok, headers: CompatibleSpeech.liveHeaders(
                    hash: generation.hash, cached: false, contentType: "audio/mpeg",
                    cost: leads ? parsed.spec.characterCount : 0),
                    body: CompatibleSpeech.liveBody(generation) { piece in
                        piece.audio.isEmpty ? nil : ByteBuffer(bytes: piece.audio)
                    })
            }
            let outcome = try await CompatibleSpeech.outcome(answer)
            let file = try await speech.openAudio(outcome, book: book)
            return Response(status: .ok, headers: CompatibleSpeech.headers(outcome, contentType: "audio/mpeg"),
                            body: CompatibleSpeech.audioBody(file))
        }
    }
}
