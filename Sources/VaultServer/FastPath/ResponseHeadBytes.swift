import HTTPTypes
import NIOCore
import NIOHTTP1

/// An HTTP/1.1 response head written as bytes, as NIO's `HTTPResponseEncoder` writes it (the status line with
/// NIO's reason phrase, then each field as `name: value`), for answers sent beneath the encoder
/// (`DirectDownloadHandler`). The fields have already been validated by `HTTPFields`, which refuses CR, LF and
/// NUL in values, so nothing here can split a response.
enum ResponseHeadBytes {
    /// The head of an answer with `fields`, and then `added`.
    static func write(status: HTTPResponse.Status, fields: HTTPFields, then added: [HTTPField] = [], into buffer: inout ByteBuffer) {
        let line = commonStatusLines[Int(status.code)] ?? {
            let nio = HTTPResponseStatus(statusCode: Int(status.code))
            return "\(nio.code) \(nio.reasonPhrase)\r\n"
        }()
        // Measured first and copied in one pass: written piece by piece through `ByteBuffer`'s string writers
        // (four calls a field) it cost about 14,000 instructions per answer (callgrind).
        var length = 9 + line.utf8.count + 2
        for field in fields { length += field.name.rawName.utf8.count + 2 + field.value.utf8.count + 2 }
        for field in added { length += field.name.rawName.utf8.count + 2 + field.value.utf8.count + 2 }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            var at = 0
            func put(_ string: String) {
                var string = string
                string.withUTF8 { utf8 in
                    raw.baseAddress.map { UnsafeMutableRawBufferPointer(start: $0 + at, count: utf8.count).copyMemory(from: UnsafeRawBufferPointer(utf8)) }
                    at += utf8.count
                }
            }
            func put(_ first: UInt8, _ second: UInt8) {
                raw[at] = first
                raw[at + 1] = second
                at += 2
            }
            put("HTTP/1.1 ")
            put(line)
            for field in fields {
                put(field.name.rawName)
                put(UInt8(ascii: ":"), UInt8(ascii: " "))
                put(field.value)
                put(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
            }
            for field in added {
                put(field.name.rawName)
                put(UInt8(ascii: ":"), UInt8(ascii: " "))
                put(field.value)
                put(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
            }
            put(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
            return at
        }
    }

    /// Status lines of the answers a download gives, rendered once.
    private static let commonStatusLines: [Int: String] = Dictionary(uniqueKeysWithValues: [200, 206, 304, 400, 404, 412, 416].map {
        let nio = HTTPResponseStatus(statusCode: $0)
        return ($0, "\(nio.code) \(nio.reasonPhrase)\r\n")
    })
}
