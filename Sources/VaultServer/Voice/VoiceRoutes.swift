import Foundation
import Hummingbird
import Logging
import VaultCore

/// `POST /api/voice` (generate or find), `GET /api/voice/<hash>` and `GET /api/voice?contentHash=<hash>`.
struct VoiceRoutes {
    let voice: VoiceService
    let configuration: ServerConfiguration
    /// Bodies already validated; what they validate to never depends on what is stored.
    var memo = ValidatedBodyMemo()

    /// - Parameter clients: the group that requires a client key (generating costs money); lookups are public,
    ///   as the audio they describe is.
    func register(on router: Router<VaultRequestContext>, clients: RouterGroup<VaultRequestContext>, table: RouteTable) {
        clients.on("/api/voice", method: .post, recordingIn: table) { request, context in try await generate(request, context) }
        router.on("/api/voice", method: .get, recordingIn: table) { request, _ in
            guard let hash = request.uri.queryParameters.get("contentHash") else {
                throw APIError.missing("contentHash")
            }
            return try await lookup(hash)
        }
        router.on("/api/voice/:hash", method: .get, recordingIn: table) { _, context in
            try await lookup(context.parameters.get("hash") ?? "")
        }
    }

    /// Bodies up to this size are decoded and canonicalised on the request's own task.
    static let inlineValidationBytes = 32 * 1024

    /// `validate` for a body of `size` bytes: decoding and normalising are linear, but a body of megabytes
    /// still takes milliseconds, so a large one goes off the cooperative pool, where it would hold up every
    /// other request; a chapter-sized body stays inline, where the hop would cost a cache hit more than the work.
    /// Every door that takes speech in a body validates through here.
    static func validated<T: Sendable>(bodySize size: Int, _ validate: @escaping @Sendable () throws -> T) async throws -> T {
        size > inlineValidationBytes ? try await BlockingIO.run(validate) : try validate()
    }

    func generate(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: configuration.maximumBodyBytes)
        let maximumTextCharacters = configuration.maximumTextCharacters
        let voice = self.voice
        // Worked out with the validation for a body the fast path can take, so that the memo keeps it for the
        // fast path's hits of the same body; handed on to the service either way, which otherwise works it out.
        let remembersIdentity = body.readableBytes <= VoiceHitShortcut.maximumBodyBytes
        let validate: @Sendable () throws -> VoiceRequestBody.Validated = {
            var validated = try VoiceRequestBody.validated(body: Data(buffer: body), maximumTextCharacters: maximumTextCharacters)
            // Remembered with the body, for the fast path's hits of the same body (`VoiceHitShortcut`).
            if remembersIdentity { validated.identity = voice.identity(of: validated.spec) }
            return validated
        }
        let validated = try await memo.validated(body) {
            try await Self.validated(bodySize: body.readableBytes, validate)
        }
        let outcome: VoiceService.Outcome
        do {
            outcome = try await voice.voice(Self.voiceRequest(validated, caller: context.caller), identity: validated.identity)
        } catch {
            if let mapped = VoiceErrorMapping.apiError(for: error) { throw mapped }
            throw error
        }
        let cache: Exchange.CacheOutcome = outcome.cached ? .hit : .miss
        context.exchange.update { facts in
            facts.contentHash = outcome.hash
            facts.cache = cache
            facts.timings = outcome.timings
            facts.characters = outcome.record.characterCount
        }
        return JSONResponse.make(
            body: Self.answerBody(outcome, validated, baseURL: configuration.publicBaseURL),
            headers: Self.answerHeaders(outcome))
    }

    /// The service's request for a validated body and its caller; the fast path asks with the same.
    static func voiceRequest(_ validated: VoiceRequestBody.Validated, caller: Caller) -> VoiceRequest {
        VoiceRequest(
            spec: validated.spec,
            who: .init(
                bookId: validated.bookId, chapterId: validated.chapterId?.value,
                clientKeyId: caller.clientKey?.id, clientName: caller.clientKey?.name,
                clientDailyLimit: caller.clientKey?.dailyCharacterLimit, chapterIndex: validated.chapterIndex,
                chapterTitle: validated.chapterTitle))
    }

    /// `X-Cache`, `X-Content-Hash` and, on the request that led a generation, `Server-Timing`.
    static func answerHeaders(_ outcome: VoiceService.Outcome) -> HTTPFields {
        var headers = HTTPFields()
        headers[.xCache] = (outcome.cached ? Exchange.CacheOutcome.hit : .miss).rawValue
        headers[.xContentHash] = outcome.hash.hex
        if let timings = outcome.timings {
            headers[.serverTiming] =
                String(
                    format: "upstream;dur=%.1f, write;dur=%.1f, index;dur=%.1f",
                    timings.upstreamSeconds * 1000, timings.writeSeconds * 1000, timings.indexSeconds * 1000)
                + (timings.firstByteSeconds.map { String(format: ", first-audio;dur=%.1f", $0 * 1000) } ?? "")
        }
        return headers
    }

    static func answerBody(_ outcome: VoiceService.Outcome, _ validated: VoiceRequestBody.Validated, baseURL: String?) -> ByteBuffer {
        VoiceResponseBody.generated(outcome.record, book: validated.bookId.value, cached: outcome.cached, baseURL: baseURL).encoded()
    }

    func lookup(_ hashText: String) async throws -> Response {
        guard let hash = SHA256Digest(hex: hashText) else {
            throw APIError(.badRequest, code: "invalid_content_hash", message: "contentHash must be 64 lowercase hex characters")
        }
        // A cluster node that does not hold the asset brings it in first.
        guard let record = try await voice.storedRecord(forHashOrAlias: hash) else {
            throw APIError(.notFound, code: "not_found", message: "no audio with contentHash \(hash.hex)")
        }
        return JSONResponse.make(body: VoiceResponseBody.record(record, baseURL: configuration.publicBaseURL).encoded())
    }
}
