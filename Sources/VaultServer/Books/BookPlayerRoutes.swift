import Foundation
import Hummingbird
import VaultCore

/// Player links: `POST /api/books/{bookId}/player-link` (client key) answers a URL for the book player with a
/// `PlayerToken` scoped to that book and listener, so a browser never holds a client key; with the token, the
/// page reads the manifest (`GET /api/books/{bookId}/player/manifest?token=`) and reads and saves the listener's
/// position (`GET`/`PUT`/`POST /api/books/{bookId}/player/position?token=`, `POST` taking a time in a rendition, as
/// the page saves it), under the key that issued it.
struct BookPlayerRoutes {
    let books: BookRoutes
    let positions: BookPositionRoutes
    let tokens: PlayerToken?

    struct LinkBody: Decodable {
        var listener: String?
        var expiresIn: Int64?
    }

    struct Link: Encodable {
        let url: String
        let token: String
        let expiresAt: String
    }

    func register(on router: Router<VaultRequestContext>, clients: RouterGroup<VaultRequestContext>, table: RouteTable) {
        clients.on("/api/books/:book/player-link", method: .post, recordingIn: table) { request, context in
            let tokens = try available()
            let manifest = try await books.manifest(context)
            let data = try await request.body.collect(upTo: 16 * 1024)
            let body: LinkBody
            do { body = try JSONDecoder().decode(LinkBody.self, from: Data(buffer: data)) } catch {
                throw APIError(.badRequest, code: "invalid_json", message: "the body must be a JSON object: {listener, expiresIn?}")
            }
            let listener = try positions.listener(body.listener)
            let lifetime = body.expiresIn ?? PlayerToken.defaultLifetime
            guard PlayerToken.lifetimes.contains(lifetime) else {
                throw APIError(
                    .badRequest, code: "invalid_expires_in",
                    message: "expiresIn must be \(PlayerToken.lifetimes.lowerBound) to \(PlayerToken.lifetimes.upperBound) seconds")
            }
            let now = Int64(Date().timeIntervalSince1970)
            let token = tokens.issue(
                .init(bookId: manifest.bookId, listener: listener, keyId: context.caller.clientKey?.id ?? "", expiresAt: now + lifetime),
                issuedAt: now)
            let url = (books.configuration.publicBaseURL ?? "") + "/listen/\(manifest.bookId)?token=\(token)"
            return JSONResponse.make(
                encoding: Link(url: url, token: token, expiresAt: ISO8601Timestamp.format(secondsSince1970: Double(now + lifetime))))
        }
        router.on("/api/books/:book/player/manifest", method: .get, recordingIn: table) { request, context in
            _ = try grant(request, context)
            return JSONResponse.make(encoding: BookJSON(try await books.manifest(context), baseURL: books.configuration.publicBaseURL))
        }
        router.on("/api/books/:book/player/position", method: .get, recordingIn: table) { request, context in
            let grant = try grant(request, context)
            do {
                let answer = try await positions.get(
                    book: try BookRoutes.book(context), listener: grant.listener, keyId: grant.keyId,
                    rendition: BookPositionRoutes.rendition(request), positions: try positions.available())
                return JSONResponse.make(encoding: answer)
            } catch let error as APIError where error.code == "position_not_found" {
                // A listener who has not listened yet is no error for the page that asks on every open.
                return Response(status: .noContent)
            }
        }
        router.on("/api/books/:book/player/position", method: .post, recordingIn: table) { request, context in
            let grant = try grant(request, context)
            let (book, body, store) = try await positions.prepare(request, context)
            let answer = try await positions.post(body, book: book, listener: grant.listener, keyId: grant.keyId, positions: store)
            return JSONResponse.make(encoding: answer)
        }
        router.on("/api/books/:book/player/position", method: .put, recordingIn: table) { request, context in
            let grant = try grant(request, context)
            let (book, body, store) = try await positions.prepare(request, context)
            let answer = try await positions.put(body, book: book, listener: grant.listener, keyId: grant.keyId, positions: store)
            return JSONResponse.make(encoding: answer)
        }
    }

    private func available() throws -> PlayerToken {
        guard let tokens else {
            throw APIError(
                .serviceUnavailable, code: "player_links_unavailable", message: "this server has no signing secret for player links")
        }
        return tokens
    }

    /// The grant of the request's `token` for the route's book; 401 with `invalid_token` or `token_expired`.
    private func grant(_ request: Request, _ context: VaultRequestContext) throws -> PlayerToken.Grant {
        let book = try BookRoutes.book(context)
        guard let token = request.uri.queryParameters.get("token") else { throw APIError.missing("token") }
        switch try available().verify(token, bookId: book.value, now: Int64(Date().timeIntervalSince1970)) {
        case let .valid(grant): return grant
        case .expired:
            throw APIError(.unauthorized, code: "token_expired", message: "the player link has expired; ask the app for a new one")
        case let .invalid(why):
            throw APIError(.unauthorized, code: "invalid_token", message: "the player link's token is not valid: \(why)")
        }
    }
}
