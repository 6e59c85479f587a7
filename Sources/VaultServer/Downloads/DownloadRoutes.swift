import Foundation
import Hummingbird
import Logging
import VaultCore

/// `GET` and `HEAD /audio/<bookId>/<hash>.mp3`: public, CDN-style. The decision (200/206/304/412/416, which
/// bytes) is `DownloadPlanner`'s; this layer only validates the path, finds the file and streams the plan.
struct DownloadRoutes {
    let store: AssetStore
    let planner = DownloadPlanner()
    /// Bytes read and written per step: memory per response stays bounded for any file size.
    static let chunkSize = 256 * 1024

    func register(on router: Router<some RequestContext>) {
        router.get("/audio/:book/:file") { request, context in
            try serve(request, book: context.parameters.get("book") ?? "", file: context.parameters.get("file") ?? "", method: .get)
        }
        router.head("/audio/:book/:file") { request, context in
            try serve(request, book: context.parameters.get("book") ?? "", file: context.parameters.get("file") ?? "", method: .head)
        }
    }

    func serve(_ request: Request, book: String, file: String, method: DownloadRequest.Method) throws -> Response {
        let bookId: StorageIdentifier
        do { bookId = try StorageIdentifier(book, kind: .bookId) } catch {
            throw APIError(.badRequest, code: error.code, message: error.description)
        }
        guard file.hasSuffix(".mp3"), let hash = SHA256Digest(hex: file.dropLast(4)) else {
            throw APIError(.notFound, code: "not_found", message: "no audio file '\(file)'; names are <sha256>.mp3")
        }
        guard let record = try store.record(for: hash), record.bookIds.contains(bookId.value),
              let opened = OpenFile(path: store.directory.audioFile(book: bookId, hash: hash))
        else {
            throw APIError(.notFound, code: "not_found", message: "no audio \(hash.hex) in book \(bookId.value)")
        }
        let facts = DownloadFacts(length: opened.size, entityTag: "\"\(record.sha256)\"",
                                  lastModified: Int64(record.createdAt.rounded(.down)))
        let plan = planner.plan(Self.downloadRequest(request, method: method), facts)
        var headers = Self.commonHeaders(facts)
        if let name = Self.downloadParameter(request.uri.query) {
            headers[.contentDisposition] = "attachment; filename=\"\(Self.safeFilename(name, fallback: hash.hex))\""
        }
        switch plan {
        case .notModified:
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        case .preconditionFailed:
            throw APIError(.preconditionFailed, code: "precondition_failed", message: "If-Match or If-Unmodified-Since does not hold")
        case .unsatisfiable:
            var error = HTTPFields()
            error[.contentRange] = "bytes */\(facts.length)"
            error[.contentType] = "application/json"
            let body = #"{"error":"range_not_satisfiable","message":"no requested range overlaps the \#(facts.length)-byte file"}"#
            return Response(status: .rangeNotSatisfiable, headers: error, body: .init(byteBuffer: ByteBuffer(string: body)))
        case .full:
            headers[.contentLength] = String(facts.length)
            return Response(status: .ok, headers: headers, body: method == .head ? .init() : Self.stream(opened, [0..<facts.length]))
        case let .partial(range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(facts.length)"
            headers[.contentLength] = String(range.upperBound - range.lowerBound + 1)
            return Response(status: .partialContent, headers: headers,
                            body: Self.stream(opened, [range.lowerBound..<(range.upperBound + 1)]))
        case let .multipart(ranges):
            let multipart = MultipartByteRanges(ranges: ranges, length: facts.length, contentType: "audio/mpeg")
            headers[.contentType] = "multipart/byteranges; boundary=\(multipart.boundary)"
            headers[.contentLength] = String(multipart.contentLength)
            return Response(status: .partialContent, headers: headers, body: Self.stream(opened, multipart))
        }
    }

    static func downloadRequest(_ request: Request, method: DownloadRequest.Method) -> DownloadRequest {
        DownloadRequest(
            method: method, range: request.headers[.range], ifRange: request.headers[.ifRange],
            ifMatch: request.headers[.ifMatch], ifNoneMatch: request.headers[values: .ifNoneMatch].joined(separator: ", ").nilIfEmpty,
            ifModifiedSince: request.headers[.ifModifiedSince], ifUnmodifiedSince: request.headers[.ifUnmodifiedSince])
    }

    /// What a 200 would carry; 206 and 304 carry the same validators and caching headers (RFC 9110 15.4.5).
    static func commonHeaders(_ facts: DownloadFacts) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "audio/mpeg"
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = facts.entityTag
        headers[.lastModified] = HTTPDate.format(facts.lastModified)
        // Bytes under a content hash never change (RFC 8246).
        headers[.cacheControl] = "public, max-age=31536000, immutable"
        return headers
    }

    /// `?download` -> "", `?download=name` -> "name" (percent-decoded), absent -> nil.
    static func downloadParameter(_ query: String?) -> String? {
        for item in (query ?? "").split(separator: "&") {
            if item == "download" { return "" }
            if item.hasPrefix("download=") {
                let raw = String(item.dropFirst("download=".count)).replacingOccurrences(of: "+", with: " ")
                return raw.removingPercentEncoding ?? raw
            }
        }
        return nil
    }

    /// A filename safe in a quoted header parameter on every platform: letters, digits, `. _ -` only.
    static func safeFilename(_ requested: String, fallback: String) -> String {
        var name = String(requested.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || ".-_".unicodeScalars.contains(scalar))
                ? Character(scalar) : "_"
        }.prefix(100))
        while name.hasPrefix(".") { name.removeFirst() }
        if name.isEmpty || name.allSatisfy({ $0 == "_" }) { name = fallback }
        return name.lowercased().hasSuffix(".mp3") ? name : name + ".mp3"
    }

    /// Streams byte spans of the open file in bounded chunks.
    static func stream(_ file: OpenFile, _ spans: [Range<UInt64>]) -> ResponseBody {
        ResponseBody { writer in
            for span in spans { try await copy(file, span, to: &writer) }
            try await writer.finish(nil)
        }
    }

    static func stream(_ file: OpenFile, _ multipart: MultipartByteRanges) -> ResponseBody {
        ResponseBody { writer in
            for (index, range) in multipart.ranges.enumerated() {
                try await writer.write(ByteBuffer(string: multipart.partHeader(index)))
                try await copy(file, range.lowerBound..<(range.upperBound + 1), to: &writer)
            }
            try await writer.write(ByteBuffer(string: multipart.closing))
            try await writer.finish(nil)
        }
    }

    static func copy(_ file: OpenFile, _ span: Range<UInt64>, to writer: inout any ResponseBodyWriter) async throws {
        var offset = span.lowerBound
        while offset < span.upperBound {
            let count = Int(min(UInt64(chunkSize), span.upperBound - offset))
            let bytes = try file.read(offset: offset, count: count)
            guard !bytes.isEmpty else { throw SystemError(errno: EIO, operation: "read past end of", path: "audio file") }
            try await writer.write(ByteBuffer(bytes: bytes))
            offset += UInt64(bytes.count)
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
