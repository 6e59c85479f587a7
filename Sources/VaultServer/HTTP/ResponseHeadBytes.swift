import HTTPTypes
import NIOCore
import NIOHTTP1

/// An HTTP/1.1 response head written as bytes, as NIO's `HTTPResponseEncoder` writes it (the status line with
/// NIO's reason phrase, then each field as `name: value`), for answers sent beneath the encoder
/// (`DirectDownloadHandler`). The fields have already been validated by `HTTPFields`, which refuses CR, LF and
/// NUL in values, so nothing here can split a response.
enum ResponseHeadBytes {
    /// The head of an answer with `fields`, and then `added` and `more`.
    static func write(
        status: HTTPResponse.Status, fields: HTTPFields, then added: [HTTPField] = [], and more: [HTTPField] = [],
        into buffer: inout ByteBuffer
    ) {
        write(status: status, leadingLength: linesLength(fields), then: added, and: more, into: &buffer) { base, offset in
            put(fields, at: offset, in: base)
        }
    }

    /// The head of an answer whose first fields are already `lines` (`fieldLines`), and then `added` and `more`.
    static func write(
        status: HTTPResponse.Status, lines: ByteBuffer, then added: [HTTPField], and more: [HTTPField] = [],
        into buffer: inout ByteBuffer
    ) {
        write(status: status, leadingLength: lines.readableBytes, then: added, and: more, into: &buffer) { base, offset in
            lines.withUnsafeReadableBytes { bytes in
                if let source = bytes.baseAddress { (base + offset).copyMemory(from: source, byteCount: bytes.count) }
                return offset + bytes.count
            }
        }
    }

    /// `fields` as the lines of a head (`name: value` and CR LF each), to be written by `write(status:lines:)`
    /// for every answer that carries them, made once (`PreparedFields`).
    static func fieldLines(_ fields: HTTPFields) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: linesLength(fields)) { raw in
            guard let base = raw.baseAddress else { return 0 }
            return put(fields, at: 0, in: base)
        }
        return buffer
    }

    /// The status line, `leadingLength` bytes written by `leading` (given the base and the offset to write at,
    /// returning the offset after), `added`, `more`, and the blank line. Two lists so that neither caller
    /// concatenates arrays per answer. Measured first and copied in one pass: written piece by piece through
    /// `ByteBuffer`'s string writers (four calls a field) it was a large share of a download's cost
    /// (Docs/PERFORMANCE.md, "Downloads from the request bytes").
    @inline(__always)
    private static func write(
        status: HTTPResponse.Status, leadingLength: Int, then added: [HTTPField], and more: [HTTPField],
        into buffer: inout ByteBuffer,
        leading: (UnsafeMutableRawPointer, Int) -> Int
    ) {
        let line =
            commonStatusLines[Int(status.code)]
            ?? {
                let nio = HTTPResponseStatus(statusCode: Int(status.code))
                return "\(nio.code) \(nio.reasonPhrase)\r\n"
            }()
        var length = 9 + line.utf8.count + leadingLength + 2
        for field in added { length += lineLength(field) }
        for field in more { length += lineLength(field) }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            guard let base = raw.baseAddress else { return 0 }
            // Offsets passed along rather than captured: a captured counter is boxed and every use checked for
            // exclusive access at run time.
            var at = put("HTTP/1.1 ", at: 0, in: base)
            at = put(line, at: at, in: base)
            at = leading(base, at)
            for field in added { at = put(field, at: at, in: base) }
            for field in more { at = put(field, at: at, in: base) }
            base.storeBytes(of: UInt8(ascii: "\r"), toByteOffset: at, as: UInt8.self)
            base.storeBytes(of: UInt8(ascii: "\n"), toByteOffset: at + 1, as: UInt8.self)
            return at + 2
        }
    }

    @inline(__always)
    private static func put(_ string: String, at offset: Int, in base: UnsafeMutableRawPointer) -> Int {
        var string = string
        return string.withUTF8 { utf8 in
            if let source = utf8.baseAddress { (base + offset).copyMemory(from: source, byteCount: utf8.count) }
            return offset + utf8.count
        }
    }

    /// The bytes `put` writes for `fields`.
    @inline(__always)
    private static func linesLength(_ fields: HTTPFields) -> Int {
        var length = 0
        for field in fields { length += lineLength(field) }
        return length
    }

    /// Each of `fields` as a line; returns the offset after the last.
    @inline(__always)
    private static func put(_ fields: HTTPFields, at offset: Int, in base: UnsafeMutableRawPointer) -> Int {
        var at = offset
        for field in fields { at = put(field, at: at, in: base) }
        return at
    }

    /// The bytes `put` writes for `field`.
    @inline(__always)
    private static func lineLength(_ field: HTTPField) -> Int {
        field.name.rawName.utf8.count + 2 + field.value.utf8.count + 2
    }

    /// `name: value` and CR LF.
    @inline(__always)
    private static func put(_ field: HTTPField, at offset: Int, in base: UnsafeMutableRawPointer) -> Int {
        var at = put(field.name.rawName, at: offset, in: base)
        base.storeBytes(of: UInt8(ascii: ":"), toByteOffset: at, as: UInt8.self)
        base.storeBytes(of: UInt8(ascii: " "), toByteOffset: at + 1, as: UInt8.self)
        at = put(field.value, at: at + 2, in: base)
        base.storeBytes(of: UInt8(ascii: "\r"), toByteOffset: at, as: UInt8.self)
        base.storeBytes(of: UInt8(ascii: "\n"), toByteOffset: at + 1, as: UInt8.self)
        return at + 2
    }

    /// Status lines of the answers a download gives, rendered once.
    private static let commonStatusLines: [Int: String] = Dictionary(
        uniqueKeysWithValues: [200, 206, 304, 400, 404, 412, 416].map {
            let nio = HTTPResponseStatus(statusCode: $0)
            return ($0, "\(nio.code) \(nio.reasonPhrase)\r\n")
        })
}
