import NIOCore

/// Writes one flat JSON object straight into a `ByteBuffer`, for answers whose shape is fixed and sent on every
/// request: Foundation's `JSONEncoder` was a large share of the server's CPU on the voice API's hit path, most of
/// it generic boxing for a shape known at compile time.
///
/// The output is byte for byte what `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes
/// for the same values (the tests compare the two over many records), so clients see no change. That holds
/// only if callers write keys in sorted order and skip nil fields, as the encoder does.
struct JSONObjectWriter {
    private var buffer: ByteBuffer
    private var empty = true
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    init(capacity: Int = 512) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
        buffer.writeInteger(UInt8(ascii: "{"))
    }

    mutating func field(_ key: StaticString, _ value: String) {
        writeKey(key)
        writeString(value)
    }

    mutating func field(_ key: StaticString, _ value: String?) {
        if let value { field(key, value) }
    }

    mutating func field(_ key: StaticString, _ value: Int) {
        writeKey(key)
        buffer.writeString(String(value))
    }

    mutating func field(_ key: StaticString, _ value: Int?) {
        if let value { field(key, value) }
    }

    mutating func field(_ key: StaticString, _ value: Bool?) {
        guard let value else { return }
        writeKey(key)
        buffer.writeStaticString(value ? "true" : "false")
    }

    /// A double as `JSONEncoder` writes it: the shortest text that reads back the same, without a trailing
    /// `.0` (`3` for 3.0, `3.422`, `1e-07`). JSON has no NaN or infinity (the encoder throws); they are `null`.
    mutating func field(_ key: StaticString, _ value: Double) {
        writeKey(key)
        guard value.isFinite else {
            buffer.writeStaticString("null")
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        buffer.writeString(text)
    }

    mutating func field(_ key: StaticString, _ values: [String]?) {
        guard let values else { return }
        writeKey(key)
        buffer.writeInteger(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            writeString(value)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    /// The finished object.
    consuming func finish() -> ByteBuffer {
        buffer.writeInteger(UInt8(ascii: "}"))
        return buffer
    }

    /// `,"key":` in one write: four `ByteBuffer` writes a key each check capacity and uniqueness
    /// (Docs/PERFORMANCE.md, "Index reads, record decoding and the range answer").
    private mutating func writeKey(_ key: StaticString) {
        let comma = !empty
        empty = false
        let length = key.utf8CodeUnitCount + (comma ? 4 : 3)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            var at = 0
            if comma {
                raw[0] = UInt8(ascii: ",")
                at = 1
            }
            raw[at] = UInt8(ascii: "\"")
            at += 1
            key.withUTF8Buffer { utf8 in
                UnsafeMutableRawBufferPointer(rebasing: raw[at..<(at + utf8.count)]).copyMemory(from: UnsafeRawBufferPointer(utf8))
                at += utf8.count
            }
            raw[at] = UInt8(ascii: "\"")
            raw[at + 1] = UInt8(ascii: ":")
            return at + 2
        }
    }

    /// Quotes and escapes as `JSONEncoder` does: `"` and `\`, the short forms `\b \t \n \f \r`, other control
    /// characters as `\u00XX`; everything else, non-ASCII included, as its UTF-8 bytes.
    private mutating func writeString(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        // Over the string's contiguous UTF-8 (no copy for a native string): walking `String.UTF8View` by index
        // and writing its slices cost twice as much (Docs/PERFORMANCE.md, "Reads asked for near the head").
        var value = value
        value.withUTF8 { characters in
            let utf8 = UnsafeRawBufferPointer(characters)
            // Plain runs go in one copy; only the bytes that need escaping are written one by one.
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") { continue }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: utf8[runStart..<index]))
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0C: buffer.writeStaticString("\\f")
                case 0x0D: buffer.writeStaticString("\\r")
                default:
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(Self.hexDigits[Int(byte >> 4)])
                    buffer.writeInteger(Self.hexDigits[Int(byte & 0x0F)])
                }
                runStart = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
