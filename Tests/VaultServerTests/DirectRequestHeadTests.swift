import NIOCore
import NIOEmbedded
import HTTPTypes
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Testing
@testable import VaultServer

/// The byte-level reader of download heads: what it takes, what it declines, and, with NIO's own HTTP/1 parser
/// as the oracle, that whatever it takes NIO reads the same way.
@Suite struct DirectRequestHeadTests {
    static let path = "/audio/book-1/" + String(repeating: "ab", count: 32) + ".mp3"

    static func read(_ text: String) -> DirectRequestHead.Reading {
        var searched = 0
        return Array(text.utf8).withUnsafeBytes { DirectRequestHead.read($0, searchedUpTo: &searched) }
    }

    static func head(_ text: String) -> DirectRequestHead? {
        if case let .head(head, length) = read(text), length == text.utf8.count { return head }
        return nil
    }

    @Test func thePlainestRequestsAreRead() throws {
        let get = try #require(Self.head("GET \(Self.path) HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(get == DirectRequestHead(method: .get, target: Self.path))
        let head = try #require(Self.head("HEAD \(Self.path)?download HTTP/1.1\r\nhost:x\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n"))
        #expect(head == DirectRequestHead(method: .head, target: Self.path + "?download"))
    }

    @Test func thePlannersFieldsAreReadTrimmedAndJoined() throws {
        let text =
            "GET \(Self.path) HTTP/1.1\r\nHost: x\r\nrange: \t bytes=0-9 \t\r\nRANGE:bytes=20-29\r\nIf-Range: \"e\"\r\n"
            + "If-Match: \"a\"\r\nIf-None-Match: \"b\", \"c\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "If-Unmodified-Since: Mon, 07 Nov 1994 08:49:37 GMT\r\nOrigin: https://app.example\r\nContent-Length: 0\r\n\r\n"
        let head = try #require(Self.head(text))
        #expect(head.range == "bytes=0-9, bytes=20-29")
        #expect(head.ifRange == "\"e\"")
        #expect(head.ifMatch == "\"a\"")
        #expect(head.ifNoneMatch == "\"b\", \"c\"")
        #expect(head.ifModifiedSince == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(head.ifUnmodifiedSince == "Mon, 07 Nov 1994 08:49:37 GMT")
        #expect(head.origin == "https://app.example")
        #expect(head.keepAlive)
        // An empty value is read as present and empty, as `HTTPFields` holds it.
        #expect(Self.head("GET \(Self.path) HTTP/1.1\r\nHost: x\r\nIf-None-Match:\r\n\r\n")?.ifNoneMatch == "")
    }

    @Test(arguments: ["close", "Close", "keep-alive, close", " upgrade ,CLOSE ", "close,"])
    func connectionCloseIsHeardInAnyListSpelling(value: String) throws {
        #expect(Self.head("GET \(Self.path) HTTP/1.1\r\nHost: x\r\nConnection: \(value)\r\n\r\n")?.keepAlive == false)
    }

    @Test(arguments: ["keep-alive", "closed", "xclose", "clo se", ""])
    func otherConnectionOptionsKeepTheConnection(value: String) throws {
        #expect(Self.head("GET \(Self.path) HTTP/1.1\r\nHost: x\r\nConnection: \(value)\r\n\r\n")?.keepAlive == true)
    }

    static let declined: [String] = [
        "POST \(path) HTTP/1.1\r\nHost: x\r\n\r\n",
        "get \(path) HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET  \(path) HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET \(path)  HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET \(path) HTTP/1.0\r\nHost: x\r\n\r\n",
        "GET \(path) HTTP/1.1 \r\nHost: x\r\n\r\n",
        "GET \(path) http/1.1\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /Audio/b/f.mp3 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET http://x\(path) HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /audio/b/\u{e9}.mp3 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /audio/b/f\u{7f}.mp3 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET \(path) HTTP/1.1\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        "GET \(path) HTTP/1.1\nHost: x\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\n\r\n",
        "GET \(path) HTTP/1.1\nHost: x\n\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\n\n",
        "GET \(path) HTTP/1.1\r\nHost: x\rY: z\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET \(path) HTTP/1.1\r\n Host: x\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n continued\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\n: value\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nBad(name): v\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nX: a\u{0}b\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nX: caf\u{e9}\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 00\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nAPIKEY: k\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nxi-api-key: k\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-A: b\r\n", count: 64) + "\r\n",
        "GET \(path) HTTP/1.1\r\nHost: x\r\nX-Long: " + String(repeating: "a", count: 8200) + "\r\n\r\n",
        "\r\nGET \(path) HTTP/1.1\r\nHost: x\r\n\r\n",
    ]

    @Test(arguments: declined)
    func anythingUnusualIsLeftToTheGeneralParser(text: String) {
        #expect(Self.read(text) == .declined, "\(text.debugDescription)")
    }

    @Test func sixtyThreeFieldsBesidesHostAreStillRead() {
        #expect(Self.head("GET \(Self.path) HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-A: b\r\n", count: 63) + "\r\n") != nil)
    }

    @Test func aHeadIsReadWhateverWayItsBytesArrive() throws {
        let text = "GET \(Self.path) HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\n\r\nGET /next"
        let bytes = Array(text.utf8)
        let headLength = text.utf8.count - "GET /next".utf8.count
        // Byte by byte, resuming the search each time: incomplete until the blank line's last byte.
        var searched = 0
        for end in 1...bytes.count {
            let reading = bytes[0..<end].withUnsafeBytes { DirectRequestHead.read($0, searchedUpTo: &searched) }
            if end < headLength {
                #expect(reading == .incomplete, "\(end)")
            } else {
                #expect(
                    reading == .head(DirectRequestHead(method: .get, target: Self.path, range: "bytes=1-2"), length: headLength), "\(end)")
            }
            #expect(searched <= end)
        }
        // Every byte is searched once: the resumed search never went back more than the terminator's length.
        #expect(searched >= headLength - 4)
    }

    @Test func aHeadThatNeverEndsIsDeclinedAtTheLimit() {
        let start = "GET \(Self.path) HTTP/1.1\r\nHost: x\r\nX: "
        #expect(Self.read(start + String(repeating: "a", count: 100)) == .incomplete)
        #expect(Self.read(start + String(repeating: "a", count: DirectRequestHead.maximumHeadBytes)) == .declined)
    }

    // MARK: NIO's parser as the oracle

    /// What NIO's HTTP/1 decoder makes of `bytes`: the head and whether a body followed, or nil when it refuses.
    static func nioReading(_ bytes: [UInt8]) throws -> (head: HTTPRequestHead, hadBody: Bool)? {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        defer { _ = try? channel.finish() }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        do { try channel.writeInbound(buffer) } catch { return nil }
        guard case let .head(head)? = try channel.readInbound(as: HTTPServerRequestPart.self) else { return nil }
        var hadBody = false
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            if case .body = part { hadBody = true }
            if case .end = part { return (head, hadBody) }
        }
        return nil
    }

    /// Random heads built from the pieces a reader might trip on (field names in every case, OWS, repeated
    /// fields, the declined fields, stray control bytes), thousands of them: whenever the byte-level reader takes
    /// one, NIO takes it too and reads the same method, target, version, keep-alive and planner fields, with no body.
    @Test func whateverTheReaderTakesNIOReadsTheSame() throws {
        var generator = SplitMixGenerator(seed: 0x13)
        let names = [
            "Host", "host", "HOST", "Range", "range", "If-Range", "If-Match", "if-none-match", "If-Modified-Since",
            "If-Unmodified-Since", "Origin", "Connection", "Content-Length", "User-Agent", "Accept", "X-Custom",
            "Transfer-Encoding", "Authorization", "Expect", "Upgrade", "Cookie", "Bad Name", "Bad:Name",
        ]
        let values = [
            "x", "bytes=0-9", " bytes=1-2 ", "\t\"e\"\t", "close", "keep-alive", "0", "5", "", "a, b", "chunked",
            "Sun, 06 Nov 1994 08:49:37 GMT", "a\u{1}b", "caf\u{e9}", "a\rb",
        ]
        let path = Self.path
        let lines = [
            "GET \(path) HTTP/1.1", "HEAD \(path)?download HTTP/1.1", "GET \(path) HTTP/1.0", "GET /audio/b/c HTTP/1.1",
            "GET /audio/%20/x HTTP/1.1", "PUT \(path) HTTP/1.1",
        ]
        var taken = 0
        for _ in 0..<4_000 {
            var text = lines.pick(using: &generator) + "\r\n"
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                let separator = [":", ": ", ":\t", " :"].pick(using: &generator)
                text += names.pick(using: &generator) + separator + values.pick(using: &generator) + "\r\n"
            }
            if Bool.random(using: &generator) { text += "Host: h\r\n" }
            text += "\r\n"
            let bytes = Array(text.utf8)
            var searched = 0
            guard case let .head(head, length) = bytes.withUnsafeBytes({ DirectRequestHead.read($0, searchedUpTo: &searched) }) else {
                continue
            }
            taken += 1
            #expect(length == bytes.count)
            let nio = try #require(try Self.nioReading(bytes), "\(text.debugDescription)")
            #expect(!nio.hadBody)
            #expect(nio.head.method == (head.method == .get ? .GET : .HEAD))
            #expect(nio.head.uri == head.target)
            #expect(nio.head.version == .http1_1)
            #expect(nio.head.isKeepAlive == head.keepAlive, "\(text.debugDescription)")
            #expect(nio.head.headers["host"].count == 1)
            // The router reads the fields through `HTTPFields`, as Hummingbird's codec converts them.
            let routed = try HTTPRequest(nio.head, secure: false, splitCookie: false).headerFields
            let expected = [
                head.range, head.ifRange, head.ifMatch, head.ifNoneMatch, head.ifModifiedSince, head.ifUnmodifiedSince, head.origin,
            ]
            let fromRouter = [HTTPField.Name.range, .ifRange, .ifMatch, .ifNoneMatch, .ifModifiedSince, .ifUnmodifiedSince, .origin]
                .map { routed[$0] }
            #expect(expected == fromRouter, "\(text.debugDescription)")
            // And the codec-level fast path reads them alike.
            let codecLevel = FastAnswerHandler.downloadRequest(nio.head)
            #expect(
                [
                    codecLevel.range, codecLevel.ifRange, codecLevel.ifMatch, codecLevel.ifNoneMatch, codecLevel.ifModifiedSince,
                    codecLevel.ifUnmodifiedSince,
                ] == [
                    head.range, head.ifRange, head.ifMatch, head.ifNoneMatch?.nilIfEmpty,
                    head.ifModifiedSince, head.ifUnmodifiedSince,
                ], "\(text.debugDescription)")
            #expect(FastAnswerHandler.mayAnswer(nio.head))
        }
        // The generator makes takeable heads often enough for the comparison to mean something.
        #expect(taken > 200)
    }
}

extension Array {
    /// A random element of a non-empty array.
    fileprivate func pick(using generator: inout some RandomNumberGenerator) -> Element {
        self[Int.random(in: 0..<count, using: &generator)]
    }
}

/// SplitMix64: the same sequence on every run, so a failure names a reproducible head.
private struct SplitMixGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
