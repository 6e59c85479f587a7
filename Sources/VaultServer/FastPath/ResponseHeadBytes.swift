import HTTPTypes
import NIOCore
import NIOHTTP1

/// An HTTP/1.1 response head written as bytes, as NIO's `HTTPResponseEncoder` writes it (the status line with
/// NIO's reason phrase, then each field as `name: value`), for answers sent beneath the encoder
/// (`DirectDownloadHandler`). The fields have already been validated by `HTTPFields`, which refuses CR, LF and
/// NUL in values, so nothing here can split a response.
enum ResponseHeadBytes {
    static func write(status: HTTPResponse.Status, fields: HTTPFields, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("HTTP/1.1 ")
        if let line = commonStatusLines[Int(status.code)] {
            buffer.writeString(line)
        } else {
            let nio = HTTPResponseStatus(statusCode: Int(status.code))
            buffer.writeString("\(nio.code) \(nio.reasonPhrase)\r\n")
        }
        for field in fields {
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// Status lines of the answers a download gives, rendered once.
    private static let commonStatusLines: [Int: String] = Dictionary(uniqueKeysWithValues: [200, 206, 304, 400, 404, 412, 416].map {
        let nio = HTTPResponseStatus(statusCode: $0)
        return ($0, "\(nio.code) \(nio.reasonPhrase)\r\n")
    })
}
