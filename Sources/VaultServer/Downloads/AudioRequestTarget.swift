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
        var target = target
        // Read from the string's own contiguous UTF-8: walking `Substring.UTF8View` indices costs several times
        // more on every download (Docs/PERFORMANCE.md, "Downloads from the request bytes").
        guard let read = target.withUTF8({ Self.read($0) }) else { return nil }
        (book, file, query) = read
    }

    private static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> (book: String, file: String, query: String?)? {
        let prefix: StaticString = "/audio/"
        guard bytes.count > prefix.utf8CodeUnitCount,
            UnsafeBufferPointer(rebasing: bytes[..<prefix.utf8CodeUnitCount]).elementsEqual(
                UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        else { return nil }
        let rest = bytes[prefix.utf8CodeUnitCount...]
        let pathEnd = rest.firstIndex(of: UInt8(ascii: "?")) ?? rest.endIndex
        let path = rest[..<pathEnd]
        guard let slash = path.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let book = path[..<slash]
        let file = path[(slash + 1)...]
        guard !book.isEmpty, !file.isEmpty, book.allSatisfy(isUnreserved), file.allSatisfy(isUnreserved) else { return nil }
        let query = pathEnd == rest.endIndex ? nil : String(decoding: rest[(pathEnd + 1)...], as: UTF8.self)
        return (String(decoding: book, as: UTF8.self), String(decoding: file, as: UTF8.self), query)
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
