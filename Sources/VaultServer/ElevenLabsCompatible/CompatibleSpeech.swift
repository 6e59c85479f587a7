import Foundation
import Hummingbird
import NIOCore
import VaultCore

/// What the SDK-compatible doors (ElevenLabs' `/v1/text-to-speech`, OpenAI's `/v1/audio/speech`) share: which
/// book the audio goes to, one call into `VoiceService` with the caller's key, the exchange's facts, and
/// the headers and bodies of the answers.
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

    /// The asset for `spec` in `book`, from the index or one generation, with the exchange's facts set.
    func speak(_ spec: SpeechSpec, book: StorageIdentifier, context: VaultRequestContext) async throws -> VoiceService.Outcome {
        let caller = context.caller
        let outcome = try await voice.voice(VoiceRequest(spec: spec, who: .init(
            bookId: book, clientKeyId: caller.clientKey?.id, clientName: caller.clientKey?.name,
            clientDailyLimit: caller.clientKey?.dailyCharacterLimit)))
        context.exchange.update { facts in
            facts.contentHash = outcome.hash
            facts.cache = outcome.cached ? .hit : .miss
            facts.timings = outcome.timings
            facts.characters = outcome.record.characterCount
        }
        return outcome
    }

    /// `X-Cache`, `X-Content-Hash`, and ElevenLabs' `request-id` and `character-cost`: what this answer cost
    /// (only the request that led a generation paid), beside what the audio cost when it was made.
    static func headers(_ outcome: VoiceService.Outcome, contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.xCache] = outcome.cached ? "HIT" : "MISS"
        headers[.xContentHash] = outcome.hash.hex
        headers[.requestId] = "vv_" + UUID().uuidString.lowercased()
        headers[.characterCost] = outcome.timings != nil ? String(outcome.record.characterCost ?? 0) : "0"
        if let cost = outcome.record.characterCost { headers[.originalCharacterCost] = String(cost) }
        return headers
    }

    /// The open file of `outcome`'s audio in `book`. Opened right after the asset was linked there, so it is
    /// missing only if an operator deleted it in between: a retryable answer, not a server fault.
    func openAudio(_ outcome: VoiceService.Outcome, book: StorageIdentifier) async throws -> OpenFile {
        let path = voice.store.directory.audioFile(book: book, hash: outcome.hash)
        guard let file = try await BlockingIO.run({ OpenFile(path: path) }) else {
            throw APIError(.serviceUnavailable, code: "asset_vanished", message: "the audio was deleted while this request was answered; try again")
        }
        return file
    }

    /// The whole file, streamed from disk in 64 KiB reads off the cooperative pool: memory per answer stays
    /// one read, however long the chapter.
    static func audioBody(_ file: OpenFile) -> ResponseBody {
        ResponseBody(contentLength: Int(file.size)) { writer in
            var offset: UInt64 = 0
            while offset < file.size {
                let count = Int(min(65_536, file.size - offset)), at = offset
                let chunk = try await BlockingIO.run { try file.read(offset: at, count: count) }
                guard chunk.readableBytes > 0 else { break }
                offset += UInt64(chunk.readableBytes)
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        }
    }

    /// The file's bytes and its timings, for the answers that carry base64 audio and alignment together.
    func timedAudio(_ outcome: VoiceService.Outcome, file: OpenFile) async throws -> (audio: [UInt8], alignment: SpeechAlignment?) {
        let index = voice.store.index
        return try await BlockingIO.run {
            let buffer = try file.read(offset: 0, count: Int(file.size))
            return (Array(buffer: buffer), try index.alignment(for: outcome.hash))
        }
    }
}
