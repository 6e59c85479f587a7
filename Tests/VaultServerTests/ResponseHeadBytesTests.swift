import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import VaultServer

/// The response heads the byte-level download path writes, held to NIO's `HTTPResponseEncoder` as the oracle:
/// for every status a download answers and random sets of fields (each with the `Content-Length` every answer
/// carries), the same bytes.
@Suite struct ResponseHeadBytesTests {
    static func encoded(status: HTTPResponse.Status, fields: HTTPFields) throws -> [UInt8] {
        let channel = EmbeddedChannel(handler: HTTPResponseEncoder())
        defer { _ = try? channel.finish() }
        try channel.writeOutbound(
            HTTPServerResponsePart.head(
                HTTPResponseHead(
                    version: .http1_1, status: .init(statusCode: Int(status.code)), headers: HTTPHeaders(fields))))
        var bytes: [UInt8] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        return bytes
    }

    static func written(status: HTTPResponse.Status, fields: HTTPFields) -> [UInt8] {
        var buffer = ByteBuffer(string: "before|")
        ResponseHeadBytes.write(status: status, fields: fields, into: &buffer)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return Array(bytes.dropFirst("before|".utf8.count))
    }

    @Test func everyDownloadStatusAndRandomFieldsAreWrittenAsNIOWritesThem() throws {
        var generator = SystemRandomNumberGenerator()
        let names = ["Content-Type", "Content-Range", "ETag", "X-Custom-Field", "Vary", "set-cookie", "Accept-Ranges"]
        let valueBytes = Array("abcXYZ019 -_.,;:=\"/()<>@?!~*'éü".unicodeScalars.map(String.init))
        for code in [200, 206, 304, 400, 404, 412, 416, 500, 599, 299] {
            for _ in 0..<40 {
                var fields = HTTPFields()
                for _ in 0..<Int.random(in: 0...12, using: &generator) {
                    let name = try #require(HTTPField.Name(names.randomElement(using: &generator) ?? "X"))
                    let value = (0..<Int.random(in: 0...40, using: &generator)).map { _ in valueBytes.randomElement(using: &generator) ?? ""
                    }.joined()
                    fields.append(HTTPField(name: name, value: value))
                }
                // Every answer but a 304 states its length; without one NIO's encoder would add its own framing,
                // and on a 304 it removes one (the planner never sets one there).
                if code != 304 {
                    fields.insert(
                        HTTPField(name: .contentLength, value: String(Int.random(in: 0...9_999_999, using: &generator))),
                        at: Int.random(in: 0...fields.count, using: &generator))
                }
                let status = HTTPResponse.Status(code: code)
                let mine = Self.written(status: status, fields: fields)
                let nio = try Self.encoded(status: status, fields: fields)
                // The same fields split between the answer's own and those added after them.
                let split = Int.random(in: 0...fields.count, using: &generator)
                var own = HTTPFields()
                for field in fields.prefix(split) { own.append(field) }
                var after = ByteBuffer()
                ResponseHeadBytes.write(status: status, fields: own, then: Array(fields.dropFirst(split)), into: &after)
                #expect(after.readBytes(length: after.readableBytes) == nio)
                // And with the answer's own fields written once beforehand as lines (`PreparedFields`).
                var fromLines = ByteBuffer()
                let rest = Array(fields.dropFirst(split))
                let second = Int.random(in: 0...rest.count, using: &generator)
                ResponseHeadBytes.write(
                    status: status, lines: ResponseHeadBytes.fieldLines(own), then: Array(rest.prefix(second)),
                    and: Array(rest.dropFirst(second)), into: &fromLines)
                #expect(fromLines.readBytes(length: fromLines.readableBytes) == nio)
                #expect(mine == nio, "\(code)\n\(String(decoding: mine, as: UTF8.self))\n--\n\(String(decoding: nio, as: UTF8.self))")
            }
        }
    }

    @Test func aHeadWithNoFieldsEndsAtOnce() {
        #expect(Self.written(status: .notModified, fields: [:]) == Array("HTTP/1.1 304 Not Modified\r\n\r\n".utf8))
    }
}
