import Hummingbird
import NIOCore
import VaultCore

/// `GET /listen/{bookId}/{contentHash}` (listen mode) and its script and style. Public, like the audio it plays.
/// The headers allow only what the page uses: its own script and style, audio from this origin, no framing.
struct ListenRoutes {
    let voice: VoiceService

    static let securityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        router.on("/listen/listen.js", method: .get, recordingIn: table) { _, _ in
            Self.page(ListenPage.script, type: "text/javascript; charset=utf-8")
        }
        router.on("/listen/listen.css", method: .get, recordingIn: table) { _, _ in
            Self.page(ListenPage.css, type: "text/css; charset=utf-8")
        }
        router.on("/listen/:book/:hash", method: .get, recordingIn: table) { _, context in
            try await chapter(book: context.parameters.get("book") ?? "", hash: context.parameters.get("hash") ?? "")
        }
    }

    func chapter(book bookText: String, hash hashText: String) async throws -> Response {
        guard let book = try? StorageIdentifier(bookText, kind: .bookId), let hash = SHA256Digest(hex: hashText) else {
            return Self.notFound()
        }
        let found = try await voice.recordWithAlignment(for: hash, inBook: book.value)
        guard let (record, alignment) = found, record.bookIds.contains(book.value) else { return Self.notFound() }
        let chapter = ListenPage.Chapter(
            book: book.value, record: record, segments: alignment.map(TimedSegments.init),
            characters: alignment?.characters.map(\.text) ?? [])
        return Self.page(ListenPage.html(chapter), type: "text/html; charset=utf-8")
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
