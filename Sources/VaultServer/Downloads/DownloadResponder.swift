#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import NIOCore
import VaultCore

/// The bytes behind one download: a shared in-memory copy (`HotFileCache`), or a descriptor (opened for this
/// response, or kept open by `OpenFileCache`). Held bytes are sent from memory whatever the span: measured on
/// this project's loopback benchmark, whole 1 MB files went out faster from memory (`writev`) than by
/// `sendfile` from a kept descriptor, corked or not (Docs/PERFORMANCE.md, "Held bytes from memory"); a
/// descriptor serves the files the cache does not hold.
enum DownloadBytes: Sendable {
    case memory(ByteBuffer)
    case file(OpenFile)

    /// The representation's length: what is held, or the open file's size.
    var length: UInt64 {
        switch self {
        case let .memory(buffer): UInt64(buffer.readableBytes)
        case let .file(file): file.size
        }
    }

    /// `span` as a slice of the held bytes; nil when the bytes are in a file.
    func heldSlice(_ span: Range<UInt64>) -> ByteBuffer? {
        switch self {
        case let .memory(buffer): buffer.getSlice(at: Int(span.lowerBound), length: span.count)
        case .file: nil
        }
    }
}

/// What a download answers with besides the bytes: the validators the planner decides on and the headers
/// every status carries. Shared by `/audio/...` and the Storage object routes so both follow one engine.
struct DownloadRepresentation: Sendable {
    /// From the record: the length here is the one `Content-Length` states, and the bytes must match it.
    var facts: DownloadFacts
    var contentType: String
    var cacheControl: String
    /// `attachment; filename="..."` when the client asked for a download, else nil.
    var contentDisposition: String?
    /// `DownloadResponder.commonHeaders` of this representation, when already made (`RepresentationMemo`).
    var prepared: PreparedFields?
}

/// A representation's common fields made once (`RepresentationMemo`): as `HTTPFields` for the router, and as the
/// lines the fast paths write, so that no answer of it renders them again.
struct PreparedFields: Sendable {
    let fields: HTTPFields
    /// `fields` as `ResponseHeadBytes.fieldLines` writes them.
    let lines: ByteBuffer
    /// Whether `fields` has a `Content-Length` or `Content-Range` (the representation's common fields never do),
    /// looked up once so that an answer adding its lengths need not search the fields for them.
    let carriesLengths: Bool
    /// Whether `fields` has a name the connection's finishing fields may have (`AnswerEnvelope.names`;
    /// the common fields never do), looked up once so that each answer need not search for them.
    let carriesFinishingNames: Bool

    init(_ fields: HTTPFields) {
        self.fields = fields
        lines = ResponseHeadBytes.fieldLines(fields)
        carriesLengths = fields.contains(.contentLength) || fields.contains(.contentRange)
        carriesFinishingNames = AnswerEnvelope.names.contains { fields.contains($0) }
    }
}

/// Turns `DownloadPlanner`'s decision into a response. Errors (412, 416) are rendered by the caller's
/// surface, so `/audio` answers in VoiceVault's error shape and `/storage/v1` in Supabase's.
struct DownloadResponder: Sendable {
    typealias ErrorRenderer = @Sendable (HTTPResponse.Status, _ code: String, _ message: String) -> Response

    /// Bytes read and written per step when streaming from a file: memory per response stays bounded.
    static let chunkSize = 256 * 1024
    let planner: DownloadPlanner

    init(planner: DownloadPlanner = DownloadPlanner()) {
        self.planner = planner
    }

    /// Why a download found no bytes to send for a record that promised them.
    enum Missing: Error {
        /// No file (removed or replaced since the record was read).
        case noFile
        /// A file whose size is not the record's: never served, whatever it holds.
        case wrongLength(expected: UInt64, found: UInt64)
    }

    /// Plans from the record's facts alone, and only a plan with a body asks `bytes` for them: a 304, a HEAD,
    /// a 412 or a 416 reads and opens nothing. Throws `Missing` when the bytes are gone or disagree in length
    /// with the record.
    func respond(
        _ request: Request, method: DownloadRequest.Method, representation: DownloadRepresentation, reads: StreamedFileReads,
        bytes: () throws -> DownloadBytes?, renderError: ErrorRenderer
    ) throws -> Response {
        try answer(Self.downloadRequest(request.headers, method: method), representation: representation, bytes: bytes)
            .response(reads: reads, renderError: renderError)
    }

    /// What a transport has of the bytes a plan needs: ready to send, none at all (the file is gone), or none at
    /// hand without a blocking read (the fast paths: they fetch the bytes their own way and decide again).
    enum AvailableBytes {
        case ready(DownloadBytes)
        case absent
        case notAtHand
    }

    /// A download decided in the first of two steps: its answer, or that the answer needs bytes the transport
    /// did not have at hand. Nothing is thrown for the second: it is a result, not a failure.
    enum Decision {
        case answer(DownloadAnswer)
        case needsBytes
    }

    /// The decision for a transport that always reads what a plan needs (the router): an answer.
    func answer(
        _ request: DownloadRequest, representation: DownloadRepresentation,
        bytes: () throws -> DownloadBytes?
    ) throws -> DownloadAnswer {
        switch try decide(request, representation: representation, bytes: { try bytes().map(AvailableBytes.ready) ?? .absent }) {
        case let .answer(answer): return answer
        // `bytes` never says `notAtHand`; should it, the bytes are as good as missing.
        case .needsBytes: throw Missing.noFile
        }
    }

    /// The decision for one download, transport aside (see `DownloadAnswer`).
    func decide(
        _ request: DownloadRequest, representation: DownloadRepresentation,
        bytes: () throws -> AvailableBytes
    ) throws -> Decision {
        let facts = representation.facts
        /// The bytes for a plan with a body, checked against the record; nil when not at hand.
        func body() throws -> DownloadBytes? {
            switch try bytes() {
            case let .ready(bytes): return try Self.checked(bytes, facts)
            case .absent: throw Missing.noFile
            case .notAtHand: return nil
            }
        }
        let plan = planner.plan(request, facts)
        // The common fields are shared, not copied: an answer adds its lengths after them.
        var fields = representation.prepared.map(DownloadAnswerFields.init) ?? DownloadAnswerFields(Self.commonHeaders(representation))
        switch plan {
        case .notModified:
            fields.remove(.contentType)
            fields.remove(.contentDisposition)
            return .answer(.content(.notModified, fields, .none))
        case .preconditionFailed:
            return .answer(
                .refusal(
                    APIError(
                        .preconditionFailed, code: "precondition_failed",
                        message: "If-Match or If-Unmodified-Since does not hold")))
        case .unsatisfiable:
            return .answer(
                .refusal(
                    APIError(
                        .rangeNotSatisfiable, code: "range_not_satisfiable",
                        message: "no requested range overlaps the \(facts.length)-byte file",
                        headers: [.contentRange: "bytes */\(facts.length)"])))
        case .full:
            fields.add(.contentLength, String(facts.length))
            if request.method == .head { return .answer(.content(.ok, fields, .none)) }
            guard let body = try body() else { return .needsBytes }
            // From memory: the shared buffer itself, one write, no copy (`HotFileCache` counts it while sent).
            if let held = body.heldSlice(0..<facts.length) { return .answer(.content(.ok, fields, .buffer(held))) }
            return .answer(.content(.ok, fields, .spans(body, [0..<facts.length])))
        case let .partial(range):
            fields.add(.contentRange, ContentRangeValue.bytes(range, of: facts.length))
            fields.add(.contentLength, String(range.upperBound - range.lowerBound + 1))
            let span = range.lowerBound..<(range.upperBound + 1)
            guard let body = try body() else { return .needsBytes }
            if let slice = body.heldSlice(span) { return .answer(.content(.partialContent, fields, .buffer(slice))) }
            return .answer(.content(.partialContent, fields, .spans(body, [span])))
        case let .multipart(ranges):
            let multipart = MultipartByteRanges(ranges: ranges, length: facts.length, contentType: representation.contentType)
            fields.replace(.contentType, "multipart/byteranges; boundary=\(multipart.boundary)")
            fields.add(.contentLength, String(multipart.contentLength))
            guard let body = try body() else { return .needsBytes }
            return .answer(.content(.partialContent, fields, .multipart(body, multipart)))
        }
    }

    /// One length: the record's, which the headers state, and the bytes about to be sent must agree.
    static func checked(_ bytes: DownloadBytes, _ facts: DownloadFacts) throws -> DownloadBytes {
        guard bytes.length == facts.length else { throw Missing.wrongLength(expected: facts.length, found: bytes.length) }
        return bytes
    }

    static func downloadRequest(_ headers: HTTPFields, method: DownloadRequest.Method) -> DownloadRequest {
        downloadRequest(method: method) { headers[$0.name] }
    }

    /// The planner's view of a request, from its fields (repeated ones joined with ", ") however a transport
    /// holds them: the one list of what a download reads.
    static func downloadRequest(method: DownloadRequest.Method, field: (DownloadRequestField) -> String?) -> DownloadRequest {
        DownloadRequest(
            method: method, range: field(.range), ifRange: field(.ifRange),
            ifMatch: field(.ifMatch), ifNoneMatch: field(.ifNoneMatch)?.nilIfEmpty,
            ifModifiedSince: field(.ifModifiedSince), ifUnmodifiedSince: field(.ifUnmodifiedSince))
    }

    /// What a 200 would carry; 206 and 304 carry the same validators and caching headers (RFC 9110 15.4.5).
    static func commonHeaders(_ representation: DownloadRepresentation) -> HTTPFields {
        var headers = HTTPFields()
        headers.reserveCapacity(8)
        // Appended: the fields are new, so the subscript's search for one to replace is wasted.
        headers.append(HTTPField(name: .contentType, value: representation.contentType))
        headers.append(HTTPField(name: .acceptRanges, value: "bytes"))
        headers.append(HTTPField(name: .eTag, value: representation.facts.entityTag))
        headers.append(HTTPField(name: .lastModified, value: HTTPDate.format(representation.facts.lastModified)))
        headers.append(HTTPField(name: .cacheControl, value: representation.cacheControl))
        if let disposition = representation.contentDisposition { headers.append(HTTPField(name: .contentDisposition, value: disposition)) }
        return headers
    }

    /// Streams byte spans in bounded chunks.
    static func stream(_ bytes: DownloadBytes, _ spans: [Range<UInt64>], reads: StreamedFileReads) -> ResponseBody {
        ResponseBody { writer in
            for span in spans { try await copy(bytes, span, reads: reads, to: &writer) }
            try await writer.finish(nil)
        }
    }

    static func stream(_ bytes: DownloadBytes, _ multipart: MultipartByteRanges, reads: StreamedFileReads) -> ResponseBody {
        ResponseBody { writer in
            for (index, range) in multipart.ranges.enumerated() {
                try await writer.write(ByteBuffer(string: multipart.partHeader(index)))
                try await copy(bytes, range.lowerBound..<(range.upperBound + 1), reads: reads, to: &writer)
            }
            try await writer.write(ByteBuffer(string: multipart.closing))
            try await writer.finish(nil)
        }
    }

    static func copy(
        _ bytes: DownloadBytes, _ span: Range<UInt64>, reads: StreamedFileReads,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        switch bytes {
        case let .memory(buffer):
            guard let slice = buffer.getSlice(at: Int(span.lowerBound), length: span.count) else {
                throw SystemError(errno: EIO, operation: "slice past end of", path: "cached file")
            }
            try await writer.write(slice)
        case let .file(file):
            var offset = span.lowerBound
            while offset < span.upperBound {
                let count = Int(min(UInt64(chunkSize), span.upperBound - offset))
                let chunk = try await reads.read(file, offset: offset, count: count)
                guard chunk.readableBytes > 0 else { throw SystemError(errno: EIO, operation: "read past end of", path: "audio file") }
                offset += UInt64(chunk.readableBytes)
                try await writer.write(chunk)
            }
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
