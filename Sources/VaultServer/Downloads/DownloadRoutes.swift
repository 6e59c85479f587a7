import Foundation
import Hummingbird
import Logging
import VaultCore

/// `GET` and `HEAD /audio/<bookId>/<hash>.mp3`: public, CDN-style. The decision (200/206/304/412/416, which
/// bytes) is `DownloadPlanner`'s; this layer only validates the path, finds the file and streams the plan.
///
/// A class: every answer's closures hold it, and copying a struct of five references retained each of them
/// (Docs/PERFORMANCE.md, "Reads asked for near the head").
final class DownloadRoutes: Sendable {
    let store: AssetStore
    /// Hot MP3s by content hash: the bytes under a hash never change, so a held copy never goes stale.
    let cache: HotFileCache<SHA256Digest>
    let responder: DownloadResponder
    /// Where a `GET` that is answered (200, 206 or 304) counts as hearing the asset, for the disk quota. `HEAD`
    /// and lookups do not count: they are not listening.
    let heard: HeardLog?
    /// Each file's representation, made once (`RepresentationMemo`).
    let representations = RepresentationMemo()
    /// On a cluster node, brings an asset the local store does not hold in from the cluster (true when the
    /// cluster has it). Nil on one machine, where a missing record is a 404.
    let coldFill: (@Sendable (SHA256Digest) async throws -> Bool)?
    /// Bytes under a content hash never change (RFC 8246).
    static let cacheControl = "public, max-age=31536000, immutable"
    /// The one extension `/audio` serves: MP3 (the other formats are not served yet, Docs/API.md).
    static let fileExtension = "mp3"

    /// The route template both transports report in metrics and logs.
    static let endpoint = "/audio/:book/:file"

    init(
        store: AssetStore, cache: HotFileCache<SHA256Digest>, responder: DownloadResponder, heard: HeardLog?,
        coldFill: (@Sendable (SHA256Digest) async throws -> Bool)? = nil
    ) {
        self.store = store
        self.coldFill = coldFill
        self.cache = cache
        self.responder = responder
        self.heard = heard
    }

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        for method in [DownloadRequest.Method.get, .head] {
            router.on("/audio/:book/:file", method: method == .get ? .get : .head, recordingIn: table) { request, context in
                try await self.serveFillingIfCold(
                    request, book: context.parameters.get("book") ?? "", file: context.parameters.get("file") ?? "", method: method,
                    reads: context.fileReads)
            }
        }
    }

    /// How often a download brought in from the cluster is brought in again when the node's evictor took its
    /// copy before it could be served (a node whose cache bound is small, or 0, evicts on every pass).
    static let fillAttempts = 3

    /// `serve`, after bringing the asset in from the cluster when this node does not hold it.
    func serveFillingIfCold(
        _ request: Request, book: String, file: String, method: DownloadRequest.Method, reads: StreamedFileReads
    ) async throws -> Response {
        var attempt = 1
        while true {
            let filled = try await fillIfCold(book: book, file: file)
            do {
                return try serve(request, book: book, file: file, method: method, reads: reads)
            } catch let error as APIError where filled && error.code == "not_found" && attempt < Self.fillAttempts {
                attempt += 1
            }
        }
    }

    func serve(_ request: Request, book: String, file: String, method: DownloadRequest.Method, reads: StreamedFileReads) throws -> Response
    {
        try answer(
            book: book, file: file, query: request.uri.query, request: DownloadResponder.downloadRequest(request.headers, method: method)
        ) {
            hash, _, path in try cache.bytes(for: hash, path: path())
        }
        .response(reads: reads) { status, code, message in APIError(status, code: code, message: message).response() }
    }

    /// On a cluster node, an asset this node does not hold in that book is brought in from the cluster before
    /// the download is decided (the fast paths hand such a request on to here). A name that is no asset's is
    /// left to the decision's own refusal.
    /// True when it brought the asset in.
    @discardableResult
    func fillIfCold(book: String, file: String) async throws -> Bool {
        guard let coldFill, file.hasSuffix(".mp3"), let hash = SHA256Digest(hex: file.dropLast(4)) else { return false }
        if let fields = try store.index.downloadFields(for: hash, book: book), fields.inBook { return false }
        return try await coldFill(hash)
    }

    /// The bytes of `hash` that can be sent without blocking the event loop: the held copy, else a kept
    /// descriptor; `notAtHand` when the file would have to be opened or read first. The fast paths' source.
    func bytesAtHand(_ hash: SHA256Digest) -> DownloadResponder.AvailableBytes {
        if let held = cache.cached(hash) { return .ready(.memory(held)) }
        return cache.descriptors?.file(hash).map { .ready(.file($0)) } ?? .notAtHand
    }

    /// Where the router's download bytes come from, asked only for an answer with a body: read through the cache.
    typealias BytesSource = (_ hash: SHA256Digest, _ fields: AssetDownloadFields, _ path: () -> String?) throws -> DownloadBytes?

    /// What a transport has at hand of a download's bytes, asked only for an answer with a body: the fast paths
    /// give what needs no blocking read, or say they have none at hand.
    typealias AvailableBytesSource = (_ hash: SHA256Digest) -> DownloadResponder.AvailableBytes

    /// A download decided in the first step: its answer, or the file the answer needs (its size and path), which
    /// the transport fetches its own way before it decides again, or hands the request to the router.
    enum Decision {
        case answer(DownloadAnswer)
        case needsFile(hash: SHA256Digest, byteSize: Int, path: String)
    }

    /// The whole decision for `/audio/<book>/<file>`, for a transport that reads what it needs (the router).
    func answer(book: String, file: String, query: String?, request: DownloadRequest, bytes: BytesSource) throws -> DownloadAnswer {
        let directory = store.directory
        return try decide(book: book, file: file, query: query, request: request, transport: .router) { hash, record, bookId in
            try bytes(hash, record, { directory.audioFile(book: bookId, hash: hash, fileExtension: Self.fileExtension) }).map(
                DownloadResponder.AvailableBytes.ready)
                ?? .absent
        }.answer
    }

    /// The whole decision for `/audio/<book>/<file>`, for a transport that sends only what it has at hand (the
    /// fast paths): refusals are answers too (as `APIError` renders them); a needed file is a result.
    /// Throws only what the index throws.
    func decide(book: String, file: String, query: String?, request: DownloadRequest, available: AvailableBytesSource) throws -> Decision {
        do {
            return try decide(book: book, file: file, query: query, request: request, transport: .fast) { hash, _, _ in available(hash) }
        } catch let refusal as APIError {
            return .answer(.refusal(refusal))
        }
    }

    /// Validation, the index read, the plan. Refusals are `APIError`s; anything `bytes` throws other than
    /// `DownloadResponder.Missing` passes through.
    /// Which transport decides: the fast paths hand on what they cannot answer; the router answers everything.
    enum Transport { case fast, router }

    /// What a fast path hands on: the record is not in this cluster node's store (yet).
    struct NotHeldHere: Error {}

    private func decide(
        book: String, file: String, query: String?, request: DownloadRequest, transport: Transport,
        bytes: (SHA256Digest, AssetDownloadFields, StorageIdentifier) throws -> DownloadResponder.AvailableBytes
    ) throws -> Decision {
        let bookId: StorageIdentifier
        do { bookId = try StorageIdentifier(book, kind: .bookId) } catch {
            throw APIError(.badRequest, code: error.code, message: error.description)
        }
        guard file.hasSuffix(".mp3"), let hash = SHA256Digest(hex: file.dropLast(4)) else {
            throw APIError(.notFound, code: "not_found", message: "no audio file '\(file)'; names are <sha256>.mp3")
        }
        // Built only when refused: the hash's hex and the message are not on a hit's path.
        var notFound: APIError { APIError(.notFound, code: "not_found", message: "no audio \(hash.hex) in book \(bookId.value)") }
        guard let record = try store.index.downloadFields(for: hash, book: bookId.value), record.inBook else {
            // A cluster node's fast paths hand it on, so the router can ask the cluster first.
            if coldFill != nil, transport == .fast { throw NotHeldHere() }
            throw notFound
        }
        var representation = representations.representation(of: record)
        if let name = Self.downloadParameter(query) {
            representation.contentDisposition = "attachment; filename=\"\(Self.safeFilename(name, fallback: hash.hex))\""
            representation.prepared = nil
        }
        do {
            // The file is opened (and read into the cache) only for an answer with a body.
            switch try responder.decide(request, representation: representation, bytes: { try bytes(hash, record, bookId) }) {
            case let .answer(answer):
                if let heard, request.method == .get, case .content = answer {
                    heard.heard(hash, at: Date().timeIntervalSince1970)
                }
                return .answer(answer)
            case .needsBytes:
                return .needsFile(
                    hash: hash, byteSize: record.byteSize,
                    path: store.directory.audioFile(book: bookId, hash: hash, fileExtension: Self.fileExtension))
            }
        } catch DownloadResponder.Missing.noFile {
            throw notFound
        } catch let DownloadResponder.Missing.wrongLength(expected, found) {
            // Bytes under a content hash are immutable: a file of another size is damage, never served.
            throw APIError(
                .internalServerError, code: "asset_damaged",
                message:
                    "the file of \(hash.hex) has \(found) bytes where its record says \(expected); the operator should run voicevault fsck")
        }
    }

    /// `?download` -> "", `?download=name` -> "name" (percent-decoded), absent -> nil.
    /// Read as bytes, like every other client-controlled value (`FieldBytes`).
    static func downloadParameter(_ query: String?) -> String? {
        guard let query else { return nil }
        for item in FieldBytes.split(query.utf8, on: UInt8(ascii: "&")) {
            if item.elementsEqual("download".utf8) { return "" }
            if item.starts(with: "download=".utf8) {
                return String(decoding: FieldBytes.formDecoded(item.dropFirst("download=".utf8.count)), as: UTF8.self)
            }
        }
        return nil
    }

    /// A filename safe in a quoted header parameter on every platform: letters, digits, `. _ -` only.
    static func safeFilename(_ requested: String, fallback: String, requiredExtension: String? = ".mp3") -> String {
        var name = String(
            requested.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || ".-_".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "_"
            }.prefix(100))
        while name.hasPrefix(".") { name.removeFirst() }
        if name.isEmpty || name.allSatisfy({ $0 == "_" }) { name = fallback }
        guard let requiredExtension else { return name }
        return name.lowercased().hasSuffix(requiredExtension) ? name : name + requiredExtension
    }
}

extension DownloadRoutes.Decision {
    /// The answer of a transport whose bytes source never says "not at hand"; were it to, the bytes are as
    /// good as missing.
    var answer: DownloadAnswer {
        get throws {
            guard case let .answer(answer) = self else { throw DownloadResponder.Missing.noFile }
            return answer
        }
    }
}
