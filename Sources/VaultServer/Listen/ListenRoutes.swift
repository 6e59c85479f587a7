import Hummingbird
import NIOCore
import VaultCore

/// `GET /listen/{bookId}` (the book player) and `/listen/{bookId}/{contentHash}` (the same player opened at that
/// chapter), and their script and style. Public, like the audio it plays.
/// The headers allow only what the page uses: its own script and style, audio from this origin, no framing.
struct ListenRoutes {
    let voice: VoiceService

    static let securityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        router.on("/listen/player.js", method: .get, recordingIn: table) { _, _ in
            Self.page(BookPlayerPage.script, type: "text/javascript; charset=utf-8")
        }
        router.on("/listen/player.css", method: .get, recordingIn: table) { _, _ in
            Self.page(BookPlayerPage.css, type: "text/css; charset=utf-8")
        }
        router.on("/listen/:book", method: .get, recordingIn: table) { request, context in
            try await player(
                book: context.parameters.get("book") ?? "", voiceId: request.uri.queryParameters.get("voice").map { String($0) })
        }
        router.on("/listen/:book/:hash", method: .get, recordingIn: table) { _, context in
            try await player(book: context.parameters.get("book") ?? "", opening: context.parameters.get("hash") ?? "")
        }
    }

    /// The book player in one voice (the one asked for, the opening chapter's, or the first chapter's newest
    /// rendition's), opened at the chapter of `opening` when given (that very rendition), else at the first.
    func player(book bookText: String, voiceId asked: String? = nil, opening hashText: String? = nil) async throws -> Response {
        guard let book = try? StorageIdentifier(bookText, kind: .bookId) else { return Self.notFound() }
        var openingFound: (record: AssetRecord, alignment: SpeechAlignment?)?
        if let hashText {
            guard let hash = SHA256Digest(hex: hashText), let found = try await voice.recordWithAlignment(for: hash, inBook: book.value),
                found.record.bookIds.contains(book.value)
            else { return Self.notFound() }
            openingFound = found
        }
        let openingRecord = openingFound?.record
        let manifest = BookManifest(bookId: book.value, entries: try await voice.bookEntries(book))
        let voiceId = asked ?? openingRecord?.voiceId ?? manifest.chapters.first?.renditions.first?.voiceId
        var chosen = manifest.playlist(voiceId: voiceId, modelId: nil, outputFormat: nil)
        var start = 0
        if let openingRecord {
            // The very rendition asked for, in its chapter's place.
            let index = manifest.chapters.firstIndex { $0.renditions.contains { $0.contentHash == openingRecord.contentHash } }
            let rendition = index.flatMap { manifest.chapters[$0].renditions.first { $0.contentHash == openingRecord.contentHash } }
            if let index, let rendition {
                let chapter = manifest.chapters[index]
                if let at = chosen.firstIndex(where: { $0.chapter.chapterId == chapter.chapterId && $0.chapter.chapterId != nil }) {
                    chosen[at] = (chapter, rendition)
                    start = at
                } else {
                    chosen = [(chapter, rendition)]
                }
            }
        }
        guard !chosen.isEmpty, let opening = SHA256Digest(hex: chosen[start].rendition.contentHash) else { return Self.notFound() }
        // The opening chapter's record and timings: those read above when it is the rendition asked for.
        let reused = openingFound.flatMap { $0.record.contentHash == opening.hex ? $0 : nil }
        let read = reused == nil ? try await voice.recordWithAlignment(for: opening, inBook: book.value) : nil
        guard let found = reused ?? read else { return Self.notFound() }
        let chapters = chosen.enumerated().map { number, pair in
            BookPlayerPage.Chapter(
                chapterId: pair.chapter.chapterId, title: pair.chapter.title ?? pair.chapter.chapterId ?? "Chapter \(number + 1)",
                contentHash: pair.rendition.contentHash,
                audio: VoiceResponseBody.audioPath(book: book.value, hash: pair.rendition.contentHash),
                alignment: pair.rendition.hasAlignment,
                badge: ListenPage.badge(createdAt: pair.rendition.createdAt, characterCost: pair.rendition.characterCost))
        }
        let text = ListenPage.Chapter(
            book: book.value, record: found.record, segments: found.alignment.map(TimedSegments.init),
            characters: found.alignment?.characters.map(\.text) ?? [], voices: found.alignment?.voices,
            spokenDiffers: found.alignment?.differingSpoken != nil)
        let page = BookPlayerPage.html(
            .init(bookId: book.value, voice: voiceId ?? "", start: start, chapters: chapters), opening: text)
        return Self.page(page, type: "text/html; charset=utf-8")
    }

    static func notFound() -> Response {
        PageResponse.make(
            "<!doctype html><title>Not found</title><p>No such chapter audio in this book.</p>",
            type: "text/html; charset=utf-8", securityPolicy: securityPolicy, status: .notFound)
    }

    static func page(_ text: String, type: String) -> Response {
        PageResponse.make(text, type: type, securityPolicy: securityPolicy)
    }
}
