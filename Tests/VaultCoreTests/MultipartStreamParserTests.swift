import Testing
import VaultTestSupport
@testable import VaultCore

/// The streaming parser must accept exactly what the whole-body parser accepts and yield the same parts,
/// however the body is cut into chunks.
@Suite struct MultipartStreamParserTests {
    struct Parsed: Equatable {
        var name: String
        var filename: String?
        var contentType: String?
        var body: [UInt8]
    }

    /// Feeds `body` in chunks of the given sizes (cycled) and rebuilds the parts from the events.
    static func stream(_ body: [UInt8], boundary: String, chunks: [Int]) throws(MultipartFormData.Failure) -> [Parsed] {
        var parser = MultipartStreamParser(boundary: boundary)
        var parts: [Parsed] = []
        var open = false
        var offset = 0
        var turn = 0
        while offset < body.count {
            let size = max(1, chunks[turn % chunks.count])
            turn += 1
            let slice = body[offset..<min(body.count, offset + size)]
            offset += slice.count
            for event in try parser.feed(slice) {
                switch event {
                case let .partBegan(headers):
                    #expect(!open, "a part begins only after the previous one ended")
                    open = true
                    parts.append(Parsed(name: headers.name, filename: headers.filename, contentType: headers.contentType, body: []))
                case let .body(bytes):
                    #expect(open && !bytes.isEmpty)
                    parts[parts.count - 1].body += bytes
                case .partEnded:
                    #expect(open)
                    open = false
                }
            }
        }
        try parser.finish()
        return parts
    }

    static func whole(_ body: [UInt8], boundary: String) throws(MultipartFormData.Failure) -> [Parsed] {
        try WholeBodyMultipart(body: body, boundary: boundary).parts.map {
            Parsed(name: $0.name, filename: $0.filename, contentType: $0.contentType, body: Array($0.body))
        }
    }

    static let chunkings: [[Int]] = [[1], [2], [3], [7], [64], [1 << 20], [1, 5, 2, 13, 1, 1, 40], [4, 1, 17]]

    static let bodies: [(String, [UInt8])] = {
        let b = MultipartFormDataTests.body
        var list: [(String, [UInt8])] = [
            (
                "XyZ",
                b(
                    [
                        "Content-Disposition: form-data; name=\"cacheControl\"\r\n\r\n60",
                        "Content-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"a\":1}",
                        "Content-Disposition: form-data; name=\"file\"; filename=\"a; b \\\"q\\\".mp3\"\r\nContent-Type: audio/mpeg\r\n\r\nID3\r\n--not-the-boundary\r\n",
                    ], "XyZ")
            ),
            ("XyZ", b(["Content-Disposition: form-data; name=\"\"\r\nContent-Type: text/plain\r\n\r\n"], "XyZ")),
            (
                "XyZ",
                b(
                    [
                        "Content-Disposition: form-data; name=\"a\"\r\n\r\n\r\n",
                        "Content-Disposition: form-data; name=\"b\"\r\n\r\n\r\n\r\n",
                    ], "XyZ")
            ),
            // Almost-delimiters inside the body, a preamble, transport padding and an epilogue.
            (
                "B",
                Array(
                    "preamble --B-ish\r\n--B  \r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n\r\n--\r\n-B\r\n--C\r\n--\r\n--B--epilogue --B\r\n"
                        .utf8)
            ),
        ]
        list.append(
            (
                "B",
                Array("--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n".utf8)
                    + (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } + Array("\r\n--B--".utf8)
            ))
        return list
    }()

    @Test(arguments: 0..<bodies.count)
    func sameAnswerAsTheWholeBodyParserForEveryChunking(index: Int) throws {
        let (boundary, body) = Self.bodies[index]
        let expected = try Self.whole(body, boundary: boundary)
        #expect(!expected.isEmpty)
        for chunks in Self.chunkings {
            #expect(try Self.stream(body, boundary: boundary, chunks: chunks) == expected, "chunks \(chunks)")
        }
    }

    @Test func malformedBodiesFailBothWays() {
        let malformed = [
            "", "no delimiter", "--XyZ", "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
            "--XyZ\r\nContent-Type: text/plain\r\n\r\nno name\r\n--XyZ--", "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n",
        ]
        for text in malformed {
            let bytes = Array(text.utf8)
            #expect(throws: MultipartFormData.Failure.self, "\(text)") { try WholeBodyMultipart(body: bytes, boundary: "XyZ") }
            for chunks in Self.chunkings {
                #expect(throws: MultipartFormData.Failure.self, "\(text) in chunks \(chunks)") {
                    try Self.stream(bytes, boundary: "XyZ", chunks: chunks)
                }
            }
        }
    }

    @Test func oversizedHeadersAreRefusedWithoutWaitingForTheEnd() {
        var parser = MultipartStreamParser(boundary: "B")
        let header =
            "--B\r\nContent-Disposition: form-data; name=\"a\"; x=\""
            + String(repeating: "y", count: MultipartStreamParser.maximumHeaderBytes)
        #expect(throws: MultipartFormData.Failure.self) { try parser.feed(Array(header.utf8)) }
    }

    @Test func bodyMemoryStaysBoundedWhileStreaming() throws {
        var parser = MultipartStreamParser(boundary: "B")
        _ = try parser.feed(Array("--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n".utf8))
        var received = 0
        for _ in 0..<1000 {
            for case let .body(bytes) in try parser.feed([UInt8](repeating: 0x41, count: 4096)) { received += bytes.count }
        }
        // All but a delimiter-sized tail has been handed on as it arrived.
        #expect(received >= 1000 * 4096 - 8)
        let last = try parser.feed(Array("\r\n--B--".utf8))
        #expect(last.last == .partEnded && parser.isFinished)
    }
}
