import Foundation
import Hummingbird
import VaultCore

/// Listeners' positions in a book (client key): `PUT /api/books/{bookId}/position` stores a chapter and a
/// character, `POST` a time in one rendition (stored as the character spoken then), `GET` answers it back, and
/// with `voice` (and `model`, `format`) also the time in that rendition, so a change of voice resumes at the
/// same word (`PositionTiming`).
struct BookPositionRoutes {
    let books: BookRoutes

    struct Body: Decodable {
        var listener: String?
        var chapterId: String?
        var char: Int?
        var contentHash: String?
        var seconds: Double?
        var at: Double?
    }

    /// The answer: the stored position, and the time in a rendition when one was asked for.
    struct Answer: Encodable {
        let listener: String
        let bookId: String
        let chapterId: String
        let char: Int
        let at: Double
        var saved: Bool?
        var contentHash: String?
        var seconds: Double?
        /// Why `seconds` is the chapter's start: `alignment_not_available` (the rendition has no timings).
        var note: String?

        init(_ position: ListeningPosition) {
            listener = position.listener
            bookId = position.bookId
            chapterId = position.chapterId
            char = position.character
            at = position.at
        }
    }

    func register(clients: RouterGroup<VaultRequestContext>, table: RouteTable) {
        clients.on("/api/books/:book/position", method: .put, recordingIn: table) { request, context in
            let (book, body, positions) = try await prepare(request, context)
            let answer = try await put(
                body, book: book, listener: try listener(body.listener), keyId: context.caller.clientKey?.id ?? "", positions: positions)
            return JSONResponse.make(encoding: answer)
        }
        clients.on("/api/books/:book/position", method: .post, recordingIn: table) { request, context in
            let (book, body, positions) = try await prepare(request, context)
            let answer = try await post(
                body, book: book, listener: try listener(body.listener), keyId: context.caller.clientKey?.id ?? "", positions: positions)
            return JSONResponse.make(encoding: answer)
        }
        clients.on("/api/books/:book/position", method: .get, recordingIn: table) { request, context in
            let query = request.uri.queryParameters
            let answer = try await get(
                book: try BookRoutes.book(context), listener: try listener(query.get("listener")),
                keyId: context.caller.clientKey?.id ?? "", rendition: Self.rendition(request), positions: try available())
            return JSONResponse.make(encoding: answer)
        }
    }

    /// The rendition a query names: `voice`, and optionally `model` and `format`.
    static func rendition(_ request: Request) -> (voice: String?, model: String?, format: String?) {
        let query = request.uri.queryParameters
        return (query.get("voice").map { String($0) }, query.get("model").map { String($0) }, query.get("format").map { String($0) })
    }

    /// Stores the character spoken at a time in one rendition for `listener` under `keyId` (`POST`, and a player
    /// link's save): the start of the word spoken then, or the chapter's start when the rendition has no timings.
    func post(_ body: Body, book: StorageIdentifier, listener: String, keyId: String, positions: any ListeningPositions)
        async throws -> Answer
    {
        guard let hashText = body.contentHash else { throw APIError.missing("contentHash") }
        guard let seconds = body.seconds else { throw APIError.missing("seconds") }
        guard seconds.isFinite, seconds >= 0, seconds < 1e7 else {
            throw APIError(.badRequest, code: "invalid_seconds", message: "seconds must be a time from 0 into the rendition")
        }
        let manifest = try await books.manifest(of: book)
        guard let hash = SHA256Digest(hex: hashText),
            let chapter = manifest.chapters.first(where: { $0.renditions.contains { $0.contentHash == hash.hex } }),
            let chapterId = chapter.chapterId
        else {
            throw APIError(
                .badRequest, code: "unknown_content_hash", message: "book \(book.value) has no chapter with audio \(hashText)")
        }
        let alignment = try await books.voice.recordWithAlignment(for: hash, inBook: book.value)?.alignment
        let character = alignment.map { PositionTiming.character(atMilliseconds: UInt32(seconds * 1000), in: $0) } ?? 0
        var answer = try await save(
            ListeningPosition(
                listener: listener, bookId: book.value, chapterId: chapterId, character: character,
                at: try at(body.at)),
            positions: positions, keyId: keyId)
        if alignment == nil { answer.note = "alignment_not_available" }
        return answer
    }

    /// Stores a chapter and a character for `listener` under `keyId` (`PUT`, and a player link's save).
    func put(_ body: Body, book: StorageIdentifier, listener: String, keyId: String, positions: any ListeningPositions)
        async throws -> Answer
    {
        guard let chapterId = body.chapterId else { throw APIError.missing("chapterId") }
        guard let character = body.char else { throw APIError.missing("char") }
        guard (0...ListeningPosition.maximumCharacter).contains(character) else {
            throw APIError(.badRequest, code: "invalid_char", message: "char must be a whole number from 0")
        }
        let manifest = try await books.manifest(of: book)
        guard let chapter = manifest.chapters.first(where: { $0.chapterId == chapterId }) else {
            throw APIError(.badRequest, code: "unknown_chapter", message: "book \(book.value) has no chapter \(chapterId)")
        }
        let length = chapter.renditions.map(\.characterCount).max() ?? 0
        guard character <= length else {
            throw APIError(.badRequest, code: "char_past_end", message: "chapter \(chapterId) has \(length) characters")
        }
        return try await save(
            ListeningPosition(listener: listener, bookId: book.value, chapterId: chapterId, character: character, at: try at(body.at)),
            positions: positions, keyId: keyId)
    }

    /// `listener`'s position under `keyId`, with the time in the rendition `query` names (`voice`, `model`,
    /// `format`) when it names one.
    func get(
        book: StorageIdentifier, listener: String, keyId: String, rendition: (voice: String?, model: String?, format: String?),
        positions: any ListeningPositions
    ) async throws -> Answer {
        guard let position = try await positions.position(keyId: keyId, listener: listener, bookId: book.value) else {
            throw APIError(.notFound, code: "position_not_found", message: "no position of \(listener) in book \(book.value)")
        }
        var answer = Answer(position)
        if let voiceId = rendition.voice {
            let manifest = try await books.manifest(of: book)
            let chapter = manifest.chapters.first { $0.chapterId == position.chapterId }
            guard
                let chosen = chapter?.renditions.first(where: {
                    $0.voiceId == voiceId && (rendition.model.map($0.modelId.elementsEqual) ?? true)
                        && (rendition.format.map($0.outputFormat.elementsEqual) ?? true)
                }), let hash = SHA256Digest(hex: chosen.contentHash)
            else {
                throw APIError(
                    .notFound, code: "rendition_not_found",
                    message: "chapter \(position.chapterId) has no rendition in voice \(voiceId) with that model and format")
            }
            answer.contentHash = chosen.contentHash
            if let alignment = try await books.voice.recordWithAlignment(for: hash, inBook: book.value)?.alignment,
                let milliseconds = PositionTiming.milliseconds(ofCharacter: position.character, in: alignment)
            {
                answer.seconds = Double(milliseconds) / 1000
            } else {
                answer.seconds = 0
                answer.note = "alignment_not_available"
            }
        }
        return answer
    }

    func prepare(_ request: Request, _ context: VaultRequestContext) async throws -> (
        StorageIdentifier, Body, any ListeningPositions
    ) {
        let book = try BookRoutes.book(context)
        let positions = try available()
        let data = try await request.body.collect(upTo: 16 * 1024)
        do { return (book, try JSONDecoder().decode(Body.self, from: Data(buffer: data)), positions) } catch {
            throw APIError(
                .badRequest, code: "invalid_json",
                message: "the body must be a JSON object: {listener, chapterId, char, at?} or {listener, contentHash, seconds, at?}")
        }
    }

    func available() throws -> any ListeningPositions {
        guard let positions = books.positions else {
            throw APIError(
                .serviceUnavailable, code: "positions_unavailable", message: "this server has no usage ledger to keep positions in")
        }
        return positions
    }

    func listener(_ value: String?) throws -> String {
        guard let value else { throw APIError.missing("listener") }
        guard ListeningPosition.validListener(value) else {
            throw APIError(
                .badRequest, code: "invalid_listener",
                message: "listener must be 1 to \(ListeningPosition.maximumListenerBytes) bytes without control characters")
        }
        return value
    }

    /// The client's clock, or the server's when the client sends none.
    private func at(_ value: Double?) throws -> Double {
        guard let value else { return Date().timeIntervalSince1970 }
        guard value.isFinite, value >= 0, value < 1e11 else {
            throw APIError(.badRequest, code: "invalid_at", message: "at must be seconds since 1970")
        }
        return value
    }

    private func save(_ position: ListeningPosition, positions: any ListeningPositions, keyId: String) async throws -> Answer {
        let limit = books.configuration.maximumPositionsPerKey
        switch try await positions.save(position, keyId: keyId, limitPerKey: limit) {
        case let .saved(stored):
            var answer = Answer(stored)
            answer.saved = true
            return answer
        case let .kept(stored):
            var answer = Answer(stored)
            answer.saved = false
            return answer
        case let .limitReached(limit):
            throw APIError(
                .conflict, code: "position_limit_reached", message: "this key holds positions for \(limit) listeners, its limit")
        }
    }
}
