/// The request target of a download the fast path may answer: `/audio/<book>/<file>` with an optional query,
/// read as bytes. Only the plainest spelling qualifies: two non-empty segments of unreserved characters
/// (RFC 3986 §2.3), so no percent-decoding, dot segments, empty segments or trailing slash can make the two
/// transports read a different path. Anything else is nil and goes to the router, which decides it as always.
struct AudioRequestTarget: Equatable, Sendable {
    let book: String
    let file: String
    /// What follows `?`, undecoded (the router's `uri.query`); nil without one.
    let query: String?
    /// The path without the query, as the request log shows it.
    var path: String { "/audio/\(book)/\(file)" }

    init?(_ target: String) {
        var utf8 = Substring(target).utf8[...]
        let prefix = "/audio/".utf8
        guard utf8.starts(with: prefix) else { return nil }
        utf8 = utf8.dropFirst(prefix.count)
        let pathEnd = utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        let path = utf8[..<pathEnd]
        guard let slash = path.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let book = path[..<slash]
        let file = path[path.index(after: slash)...]
        guard !book.isEmpty, !file.isEmpty, book.allSatisfy(Self.isUnreserved), file.allSatisfy(Self.isUnreserved) else { return nil }
        self.book = String(decoding: book, as: UTF8.self)
        self.file = String(decoding: file, as: UTF8.self)
        self.query = pathEnd == utf8.endIndex ? nil : String(decoding: utf8[utf8.index(after: pathEnd)...], as: UTF8.self)
    }

    /// `ALPHA / DIGIT / "-" / "." / "_" / "~"`; a segment of dots alone is refused by the caller's rules
    /// (a book id cannot be `.` or `..`, and a file must be `<sha256>.mp3`), so dots need no special case here.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
