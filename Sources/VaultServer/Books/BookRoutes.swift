import Foundation
import Hummingbird
import VaultCore

/// Books as listeners use them: `GET /api/books/{bookId}` (client key), the chapters in reading order with
/// their renditions (`BookManifest`), and `GET /api/books/{bookId}/playlist.m3u8` (public, as the downloads it
/// lists are), an extended M3U any player opens. Both read the cluster's catalog on a cluster node.
struct BookRoutes {
    let voice: VoiceService
    let configuration: ServerConfiguration
    /// Where listeners' positions are kept; nil when the server has no ledger (positions then answer 503).
    let positions: (any ListeningPositions)?
    /// Signs and checks player links; nil when the server has no signing secret (player links then answer 503).
    var playerTokens: PlayerToken? = nil
    /// Where a book's cover is found (nil when the server serves no Storage).
    var covers: BookCovers? = nil

    func register(on router: Router<VaultRequestContext>, clients: RouterGroup<VaultRequestContext>, table: RouteTable) {
        let positionRoutes = BookPositionRoutes(books: self)
        positionRoutes.register(clients: clients, table: table)
        BookPlayerRoutes(books: self, positions: positionRoutes, tokens: playerTokens).register(on: router, clients: clients, table: table)
        ReadAloudRoute(books: self).register(on: router, table: table)
        clients.on("/api/books/:book", method: .get, recordingIn: table) { _, context in
            let manifest = try await manifest(context)
            return JSONResponse.make(encoding: BookJSON(manifest, baseURL: configuration.publicBaseURL))
        }
        router.on("/api/books/:book/playlist.m3u8", method: .get, recordingIn: table) { request, context in
            let manifest = try await manifest(context)
            let query = request.uri.queryParameters
            let filters = try ["voice", "model", "format"].map { name -> String? in
                guard let value = query.get(name) else { return nil }
                guard !value.isEmpty, value.utf8.count <= 128 else {
                    throw APIError(.badRequest, code: "invalid_\(name)", message: "\(name) must be 1 to 128 bytes")
                }
                return value
            }
            let entries = manifest.playlist(voiceId: filters[0], modelId: filters[1], outputFormat: filters[2]).map { chapter, rendition in
                ExtendedM3U.Entry(
                    durationSeconds: rendition.durationSeconds, title: chapter.title ?? chapter.chapterId ?? rendition.contentHash,
                    url: (configuration.publicBaseURL ?? "")
                        + VoiceResponseBody.audioPath(book: manifest.bookId, hash: rendition.contentHash))
            }
            guard !entries.isEmpty else {
                throw APIError(
                    .notFound, code: "not_found", message: "book \(manifest.bookId) has no chapter in that voice, model and format")
            }
            var headers = HTTPFields()
            headers[.contentType] = "audio/mpegurl; charset=utf-8"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ExtendedM3U(entries: entries).text)))
        }
    }

    /// The book's manifest; 404 when it links no audio.
    func manifest(_ context: VaultRequestContext) async throws -> BookManifest {
        let manifest = try await manifest(of: try Self.book(context))
        guard !manifest.chapters.isEmpty else {
            throw APIError(.notFound, code: "not_found", message: "book \(manifest.bookId) has no audio")
        }
        return manifest
    }

    /// The book's manifest, empty when it links no audio.
    func manifest(of book: StorageIdentifier) async throws -> BookManifest {
        BookManifest(bookId: book.value, entries: try await voice.bookEntries(book))
    }

    /// The route's book id, checked.
    static func book(_ context: VaultRequestContext) throws -> StorageIdentifier {
        do { return try StorageIdentifier(context.parameters.get("book") ?? "", kind: .bookId) } catch {
            throw APIError(.badRequest, code: error.code, message: error.description)
        }
    }
}
