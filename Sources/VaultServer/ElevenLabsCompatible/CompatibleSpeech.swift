import Foundation
import Hummingbird
import NIOCore
import VaultCore

/// What the SDK-compatible doors (ElevenLabs' `/v1/text-to-speech`, OpenAI's `/v1/audio/speech`) share: which
/// book the audio goes to, one call into `VoiceService` with the caller's key, the exchange's facts, and
/// the headers and bodies of the answers, from the stored file or live from a generation in progress.
struct CompatibleSpeech: Sendable {
    let voice: VoiceService
    let configuration: ServerConfiguration

    /// Where SDK-made audio is filed when the request names no book: SDKs have no notion of books.
    static let defaultBook = "sdk"

    /// The book from `X-VoiceVault-Book` or `?book_id=`, else `sdk`.
    func book(_ request: Request) throws(APIError) -> StorageIdentifier {
        let named = request.headers[.xVoiceVaultBook] ?? request.uri.queryParameters.get("book_id")
        do { return try StorageIdentifier(named ?? Self.defaultBook, kind: .bookId) } catch {
            throw APIError(.badRequest, code: error.code, message: error.description)
        }
    }

    /// The stored asset, or the generation making it, with the exchange's facts set.
    func answer(_ spec: SpeechSpec, book: StorageIdentifier, context: VaultRequestContext) async throws -> VoiceService.Answer {
        let caller = context.caller
        let answer = try await voice.answer(
            VoiceRequest(
                spec: spec,
                who: .init(
                    bookId: book, clientKeyId: caller.clientKey?.id, clientName: caller.clientKey?.name,
                    clientDailyLimit: caller.clientKey?.dailyCharacterLimit)))
        let hash: SHA256Digest
        let cached: Bool
        switch answer {
        case let .stored(outcome): (hash, cached) = (outcome.hash, outcome.cached)
        case let .live(generation, _, _): (hash, cached) = (generation.hash, false)
        }
        context.exchange.update { facts in
            facts.contentHash = hash
            facts.cache = cached ? .hit : .miss
            facts.characters = spec.characterCount
        }
        return answer
    }

    /// `X-Cache`, `X-Content-Hash`, and ElevenLabs' `request-id` and `character-cost`: what this answer cost
    /// (only the request that led a generation paid), beside what the audio cost when it was made.
    static func headers(_ outcome: VoiceService.Outcome, contentType: String) -> HTTPFields {
        var headers = liveHeaders(
            hash: outcome.hash, cached: outcome.cached, contentType: contentType,
            cost: outcome.timings != nil ? outcome.record.characterCost ?? 0 : 0)
        if let cost = outcome.record.characterCost { headers[.originalCharacterCost] = String(cost) }
        return headers
    }

    /// The MP3 of `answer`: the stored file, or, when `streamLive` and it is a miss, the generation's audio as it
    /// is staged.
    func audioResponse(_ answer: VoiceService.Answer, spec: SpeechSpec, book: StorageIdentifier, streamLive: Bool)
        async throws -> Response
    {
        if streamLive, case let .live(generation, leads, _) = answer,
            let live = try await Self.liveResponse(
                generation, leads: leads, spec: spec, contentType: "audio/mpeg",
                render: { piece in
                    piece.audio.isEmpty ? nil : ByteBuffer(bytes: piece.audio)
                })
        {
            return live
        }
        let outcome = try await answer.outcome
        let file = try await openAudio(outcome, book: book)
        return Response(status: .ok, headers: Self.headers(outcome, contentType: "audio/mpeg"), body: Self.audioBody(file))
    }

    /// A miss answered live: once the first audio is staged (so that a failure before anything was said still
    /// gets its status), each piece through `render`. Nil when the generation ended with nothing staged here
    /// (its audio was published whole meanwhile): the caller answers as for a hit.
    static func liveResponse(
        _ generation: LiveGeneration, leads: Bool, spec: SpeechSpec, contentType: String,
        render: @escaping @Sendable (SynthesisPiece) throws -> ByteBuffer?
    ) async throws -> Response? {
        // Published whole before anything was staged here: the caller answers from the store.
        guard try await generation.firstAudio() else { return nil }
        return Response(
            status: .ok,
            headers: liveHeaders(
                hash: generation.hash, cached: false, contentType: contentType,
                cost: leads ? spec.characterCount : 0),
            body: liveBody(generation, render: render))
    }

    /// The headers of an answer streamed live: the cost is what the leader reserved (the text's characters),
    /// since upstream's own count arrives only with the end of the generation.
    static func liveHeaders(hash: SHA256Digest, cached: Bool, contentType: String, cost: Int) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.xCache] = cached ? "HIT" : "MISS"
        headers[.xContentHash] = hash.hex
        headers[.requestId] = StitchingRequestId.make(for: hash)
        headers[.characterCost] = String(cost)
        return headers
    }

    /// The open file of `outcome`'s audio in `book`. Opened right after the asset was linked there, so it is
    /// missing only if an operator deleted it in between: a retryable answer, not a server fault.
    func openAudio(_ outcome: VoiceService.Outcome, book: StorageIdentifier) async throws -> OpenFile {
        let path = voice.store.directory.audioFile(book: book, hash: outcome.hash, format: outcome.record.outputFormat)
        guard let file = try await BlockingIO.run({ OpenFile(path: path) }) else {
            throw APIError(
                .serviceUnavailable, code: "asset_vanished", message: "the audio was deleted while this request was answered; try again")
        }
        return file
    }

    /// The whole file, streamed from disk in 64 KiB reads off the cooperative pool: memory per answer stays
    /// one read, however long the chapter.
    static func audioBody(_ file: OpenFile) -> ResponseBody {
        ResponseBody(contentLength: Int(file.size)) { writer in
            var offset: UInt64 = 0
            while offset < file.size {
                let count = Int(min(65_536, file.size - offset))
                let at = offset
                let chunk = try await BlockingIO.run { try file.read(offset: at, count: count) }
                guard chunk.readableBytes > 0 else { break }
                offset += UInt64(chunk.readableBytes)
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        }
    }

    /// A generation's pieces as they are staged, from byte 0, each through `render`. If the generation fails,
    /// the body throws: the chunked response is cut off without its last chunk, never passed off as complete.
    static func liveBody(_ generation: LiveGeneration, render: @escaping @Sendable (SynthesisPiece) throws -> ByteBuffer?)
        -> ResponseBody
    {
        ResponseBody { writer in
            for try await piece in generation.pieces() {
                if let buffer = try render(piece) { try await writer.write(buffer) }
            }
            try await writer.finish(nil)
        }
    }

    /// The file's bytes in `book` and its timings, for the answers that carry base64 audio and alignment together.
    func timedAudio(_ outcome: VoiceService.Outcome, book: StorageIdentifier) async throws
        -> (audio: [UInt8], alignment: SpeechAlignment?)
    {
        let file = try await openAudio(outcome, book: book)
        let index = voice.store.index
        return try await BlockingIO.run {
            let buffer = try file.read(offset: 0, count: Int(file.size))
            return (Array(buffer: buffer), try index.alignment(for: outcome.hash))
        }
    }
}
