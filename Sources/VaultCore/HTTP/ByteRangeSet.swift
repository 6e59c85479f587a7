/// The `Range` header's `bytes=` form (RFC 9110 section 14.1.1), parsed without any arithmetic that can
/// overflow: positions beyond 2^63 saturate and are then simply past the end of every real file.
public enum ByteRangeSpec: Equatable, Sendable {
    /// `first-last` or `first-` (last = nil).
    case from(first: UInt64, last: UInt64?)
    /// `-length`: the final `length` bytes.
    case suffix(length: UInt64)
}

public enum ByteRangeSet {
    /// The ranges of a `Range` header, or nil when it must be ignored: another unit (`items=`), bad syntax, or
    /// an empty list. RFC 9110: a server ignores a Range it does not understand and sends the whole file.
    public static func parse(_ header: String) -> [ByteRangeSpec]? {
        // From the string's contiguous UTF-8: generic over `String.UTF8View`, the parse of one short range cost
        // several times more, on every range request (Docs/PERFORMANCE.md).
        var header = header
        return header.withUTF8 { parse(bytes: $0) }
    }

    /// One pass over the bytes (`FieldBytes`): anything outside the ASCII grammar makes the header ignored.
    static func parse<Bytes: BidirectionalCollection>(bytes: Bytes) -> [ByteRangeSpec]? where Bytes.Element == UInt8 {
        let value = FieldBytes.trimmed(bytes)
        guard FieldBytes.hasPrefixIgnoringCase(value, "bytes=") else { return nil }
        let list = value.dropFirst(6)
        var specs = [ByteRangeSpec]()
        for element in FieldBytes.split(list, on: UInt8(ascii: ",")) {
            let item = FieldBytes.trimmed(element)
            if item.isEmpty { continue }  // RFC 9110 allows empty list elements
            guard let dash = item.firstIndex(of: UInt8(ascii: "-")) else { return nil }
            let firstText = item[..<dash]
            let lastText = item[item.index(after: dash)...]
            if firstText.isEmpty {
                guard let length = FieldBytes.decimal(lastText) else { return nil }
                specs.append(.suffix(length: length))
            } else {
                guard let first = FieldBytes.decimal(firstText) else { return nil }
                if lastText.isEmpty {
                    specs.append(.from(first: first, last: nil))
                } else {
                    guard let last = FieldBytes.decimal(lastText), last >= first else { return nil }
                    specs.append(.from(first: first, last: last))
                }
            }
        }
        return specs.isEmpty ? nil : specs
    }
}
