/// `multipart/form-data` (RFC 7578) parsed as it arrives, chunk by chunk, so an upload's file part can go to
/// disk while it streams in and memory stays bounded whatever the file's size.
///
/// Pure: bytes in, events out; no I/O. It accepts exactly what a simple whole-body parser over the same
/// `MultipartFormData` grammar accepts (the tests keep one and feed the same bodies both ways, whole and one
/// byte at a time, and compare), so chunking can never change what a client is taken to have sent. Only a part's header block is held whole, and it is bounded.
public struct MultipartStreamParser: Sendable {
    public struct PartHeaders: Sendable, Equatable {
        public var name: String
        public var filename: String?
        public var contentType: String?
    }

    public enum Event: Sendable, Equatable {
        case partBegan(PartHeaders)
        /// Some of the current part's body, in order; a part may have any number of these, or none.
        case body([UInt8])
        case partEnded
    }

    /// A part's header block larger than this is refused: headers are a few hundred bytes in practice.
    public static let maximumHeaderBytes = 16 * 1024

    private enum State: Sendable {
        case preamble
        /// Just after a delimiter: `--` closes the body, anything else up to CRLF starts a part.
        case afterDelimiter
        /// Holding the header block; `pending` starts with the delimiter line's CRLF.
        case headers
        /// Streaming a body; the first `syntheticPrefix` bytes of `pending` are a CRLF that the header
        /// block's end lent to the next delimiter (an empty body), never body bytes.
        case body(syntheticPrefix: Int)
        case finished
    }

    private let delimiter: [UInt8]
    private let bodyEnd: [UInt8]
    private var state: State = .preamble
    private var pending: [UInt8] = []

    public init(boundary: String) {
        delimiter = Array(("--" + boundary).utf8)
        bodyEnd = [13, 10] + delimiter
    }

    /// Whether the closing delimiter has been seen; anything fed after it is ignored (the epilogue).
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    public mutating func feed(_ bytes: some Collection<UInt8>) throws(MultipartFormData.Failure) -> [Event] {
        guard !isFinished else { return [] }
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        while try step(&events) {}
        return events
    }

    /// The end of the input: an error unless the closing delimiter was seen.
    public func finish() throws(MultipartFormData.Failure) {
        switch state {
        case .finished: return
        case .preamble: throw .init(message: "multipart body has no '\(String(decoding: delimiter, as: UTF8.self))' delimiter")
        case .afterDelimiter: throw .init(message: "multipart delimiter line is not terminated")
        case .headers: throw .init(message: "multipart part headers are not terminated")
        case .body: throw .init(message: "multipart part is not closed by '\(String(decoding: delimiter, as: UTF8.self))'")
        }
    }

    /// One transition if the pending bytes allow it; false when more input is needed.
    private mutating func step(_ events: inout [Event]) throws(MultipartFormData.Failure) -> Bool {
        switch state {
        case .finished:
            pending.removeAll()
            return false
        case .preamble:
            if let found = MultipartFormData.find(delimiter, in: pending, from: 0) {
                pending.removeFirst(found + delimiter.count)
                state = .afterDelimiter
                return true
            }
            pending.removeFirst(max(0, pending.count - (delimiter.count - 1)))
            return false
        case .afterDelimiter:
            guard pending.count >= 2 else { return false }
            if pending[0] == UInt8(ascii: "-"), pending[1] == UInt8(ascii: "-") {
                state = .finished
                pending.removeAll()
                return false
            }
            guard let lineEnd = MultipartFormData.find([13, 10], in: pending, from: 0) else {
                if pending.count > Self.maximumHeaderBytes { throw .init(message: "multipart delimiter line is too long") }
                return false
            }
            pending.removeFirst(lineEnd)  // keep the CRLF: it may begin the blank line of an empty header block
            state = .headers
            return true
        case .headers:
            guard let blankLine = MultipartFormData.find([13, 10, 13, 10], in: pending, from: 0) else {
                if pending.count > Self.maximumHeaderBytes {
                    throw .init(message: "multipart part headers exceed \(Self.maximumHeaderBytes) bytes")
                }
                return false
            }
            let text = blankLine > 0 ? String(decoding: pending[2..<blankLine], as: UTF8.self) : ""
            events.append(.partBegan(try MultipartFormData.partHeaders(text)))
            pending.removeFirst(blankLine + 4)
            pending.insert(contentsOf: [13, 10], at: 0)
            state = .body(syntheticPrefix: 2)
            return true
        case let .body(synthetic):
            if let end = MultipartFormData.find(bodyEnd, in: pending, from: 0) {
                if end > synthetic { events.append(.body(Array(pending[synthetic..<end]))) }
                events.append(.partEnded)
                pending.removeFirst(end + bodyEnd.count)
                state = .afterDelimiter
                return true
            }
            // Everything but a tail that could still be the start of the delimiter is body.
            let safe = pending.count - (bodyEnd.count - 1)
            guard safe > synthetic else { return false }
            events.append(.body(Array(pending[synthetic..<safe])))
            pending.removeFirst(safe)
            state = .body(syntheticPrefix: 0)
            return false
        }
    }
}
