import VaultCore

/// A request head read straight from a connection's bytes, for the one shape the byte-level fast path answers
/// (`DirectDownloadHandler`): `GET`/`HEAD` of `/audio/...` over HTTP/1.1 with no body and no credential.
///
/// It is deliberately narrow. Anything it does not fully understand is `declined`, and those bytes go to
/// NIO's HTTP/1 parser and the router exactly as if this reader did not exist, so it never needs to say what
/// an unusual request means, only to recognise the plainest ones. It reads each byte once (`headLength` resumes
/// where the last search stopped), so a head arriving byte by byte costs linear time, and it gives up past
/// `maximumHeadBytes` or `maximumFields`, leaving those limits to the general parser.
///
/// What is declined: any method but `GET` and `HEAD`; any version but `HTTP/1.1`; a target that is not
/// `/audio/...` in visible ASCII; a field name that is not a token or is followed by whitespace; a value with a
/// control character or a byte outside ASCII; a folded line; a bare CR or LF; a missing or repeated `Host`; a
/// body (`Transfer-Encoding`, or a `Content-Length` other than 0); a repeated `Content-Length` (NIO's parser
/// refuses one, even `0` twice: the two must agree on every head); a credential (`Authorization`, `apikey`,
/// `xi-api-key`: a keyed request is logged with its caller, the router's business); `Expect` and `Upgrade`.
struct DirectRequestHead: Equatable, Sendable {
    enum Method: Equatable, Sendable {
        case get, head
    }

    var method: Method
    /// The request target as sent (path and query).
    var target: String
    /// False when `Connection` carries `close`.
    var keepAlive = true
    /// The fields the download planner reads, repeated ones joined with ", " as `HTTPFields` joins them.
    var range: String?
    var ifRange: String?
    var ifMatch: String?
    var ifNoneMatch: String?
    var ifModifiedSince: String?
    var ifUnmodifiedSince: String?
    /// For the cross-origin headers of the answer.
    var origin: String?

    static let maximumHeadBytes = 8192
    static let maximumFields = 64

    enum Reading: Equatable, Sendable {
        /// The head is not complete yet: read more.
        case incomplete
        /// Not a request this reader takes: the bytes go to the general parser.
        case declined
        /// A head of `length` bytes (up to and including its blank line).
        case head(DirectRequestHead, length: Int)
    }

    /// Reads the head at the start of `bytes`. `searchedUpTo` is where an earlier call on a shorter prefix of
    /// the same bytes stopped looking for the head's end (0 at first); it is updated, so each byte is searched once.
    static func read(_ bytes: UnsafeRawBufferPointer, searchedUpTo: inout Int) -> Reading {
        switch headEnd(bytes, searchedUpTo: &searchedUpTo) {
        case .notYet:
            return bytes.count >= maximumHeadBytes ? .declined : .incomplete
        case .bareLineFeed:
            return .declined
        case let .found(length):
            guard let head = parse(UnsafeRawBufferPointer(rebasing: bytes[0..<length])) else { return .declined }
            return .head(head, length: length)
        }
    }

    enum HeadEnd: Equatable {
        /// The head runs up to and including its CR LF CR LF, `length` bytes.
        case found(length: Int)
        case notYet
        /// A line ended by LF alone: declined at once, since a head written that way would never show the
        /// CR LF CR LF this reader waits for.
        case bareLineFeed
    }

    /// Where the head ends, searching each byte once within the first `maximumHeadBytes`.
    static func headEnd(_ bytes: UnsafeRawBufferPointer, searchedUpTo: inout Int) -> HeadEnd {
        let limit = min(bytes.count, maximumHeadBytes)
        var index = max(0, searchedUpTo)
        while index < limit {
            if bytes[index] == lf {
                guard index > 0, bytes[index - 1] == cr else { return .bareLineFeed }
                if index >= 3, bytes[index - 2] == lf, bytes[index - 3] == cr { return .found(length: index + 1) }
            }
            index += 1
        }
        searchedUpTo = limit
        return .notYet
    }

    /// The head's request line and fields; nil for anything declined. `head` ends with CR LF CR LF.
    static func parse(_ head: UnsafeRawBufferPointer) -> DirectRequestHead? {
        var cursor = 0
        let end = head.count - 2  // the final CR LF, after the last field's own
        // Request line: method SP target SP HTTP/1.1 CR LF.
        let method: Method
        if matches(head, at: 0, "GET ") {
            method = .get
            cursor = 4
        } else if matches(head, at: 0, "HEAD ") {
            method = .head
            cursor = 5
        } else {
            return nil
        }
        let targetStart = cursor
        while cursor < end, head[cursor] != space {
            guard isVisible(head[cursor]) else { return nil }
            cursor += 1
        }
        let target = UnsafeRawBufferPointer(rebasing: head[targetStart..<cursor])
        guard matches(target, at: 0, "/audio/"), matches(head, at: cursor, " HTTP/1.1\r\n") else { return nil }
        cursor += 11
        var request = DirectRequestHead(method: method, target: String(decoding: target, as: UTF8.self))

        var hosts = 0
        var contentLengths = 0
        var fields = 0
        while cursor < end {
            fields += 1
            guard fields <= maximumFields else { return nil }
            let nameStart = cursor
            while cursor < end, FieldBytes.isTokenCharacter(head[cursor]) { cursor += 1 }
            guard cursor > nameStart, cursor < end, head[cursor] == colon else { return nil }
            let name = UnsafeRawBufferPointer(rebasing: head[nameStart..<cursor])
            cursor += 1
            let valueStart = cursor
            while cursor < end, head[cursor] != cr {
                guard FieldBytes.isOptionalWhitespace(head[cursor]) || isVisible(head[cursor]) else { return nil }
                cursor += 1
            }
            guard cursor + 1 < head.count, head[cursor] == cr, head[cursor + 1] == lf else { return nil }
            let value = UnsafeRawBufferPointer(rebasing: FieldBytes.trimmed(head[valueStart..<cursor]))
            cursor += 2
            guard request.take(name: name, value: value, hosts: &hosts, contentLengths: &contentLengths) else { return nil }
        }
        guard cursor == end, hosts == 1, contentLengths <= 1 else { return nil }
        return request
    }

    /// Records one field; false when the field makes the request one this reader declines.
    private mutating func take(
        name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, hosts: inout Int,
        contentLengths: inout Int
    ) -> Bool {
        func text() -> String { String(decoding: value, as: UTF8.self) }
        func joined(_ earlier: String?) -> String { earlier.map { "\($0), \(text())" } ?? text() }
        // Dispatch on length first: most fields a browser or CDN sends match none of these.
        switch name.count {
        case 4 where FieldBytes.equalsIgnoringCase(name, "host"):
            hosts += 1
        case 5 where FieldBytes.equalsIgnoringCase(name, "range"):
            range = joined(range)
        case 6 where FieldBytes.equalsIgnoringCase(name, "origin"):
            origin = joined(origin)
        case 6 where FieldBytes.equalsIgnoringCase(name, "expect"), 6 where FieldBytes.equalsIgnoringCase(name, "apikey"):
            return false
        case 7 where FieldBytes.equalsIgnoringCase(name, "upgrade"):
            return false
        case 8 where FieldBytes.equalsIgnoringCase(name, "if-range"):
            ifRange = joined(ifRange)
        case 8 where FieldBytes.equalsIgnoringCase(name, "if-match"):
            ifMatch = joined(ifMatch)
        case 10 where FieldBytes.equalsIgnoringCase(name, "connection"):
            if Self.listContainsClose(value) { keepAlive = false }
        case 10 where FieldBytes.equalsIgnoringCase(name, "xi-api-key"):
            return false
        case 13 where FieldBytes.equalsIgnoringCase(name, "if-none-match"):
            ifNoneMatch = joined(ifNoneMatch)
        case 13 where FieldBytes.equalsIgnoringCase(name, "authorization"):
            return false
        case 14 where FieldBytes.equalsIgnoringCase(name, "content-length"):
            contentLengths += 1
            return value.count == 1 && value[0] == UInt8(ascii: "0")
        case 17 where FieldBytes.equalsIgnoringCase(name, "if-modified-since"):
            ifModifiedSince = joined(ifModifiedSince)
        case 17 where FieldBytes.equalsIgnoringCase(name, "transfer-encoding"):
            return false
        case 19 where FieldBytes.equalsIgnoringCase(name, "if-unmodified-since"):
            ifUnmodifiedSince = joined(ifUnmodifiedSince)
        default:
            break
        }
        return true
    }

    /// Whether a `Connection` value lists the `close` option (case-insensitive, comma-separated, OWS around).
    static func listContainsClose(_ value: UnsafeRawBufferPointer) -> Bool {
        FieldBytes.split(value, on: UInt8(ascii: ",")).contains { FieldBytes.equalsIgnoringCase(FieldBytes.trimmed($0), "close") }
    }

    private static func matches(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset >= 0, bytes.count - offset >= count else { return false }
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: count)
        for index in 0..<count where bytes[offset + index] != expected[index] { return false }
        return true
    }

    /// `VCHAR`, ASCII only.
    static func isVisible(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let colon = UInt8(ascii: ":")
}
