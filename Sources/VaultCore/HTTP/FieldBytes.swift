/// Byte-level reading of HTTP field values. RFC 9110 §5.5 defines field values as octets, and every grammar
/// VoiceVault parses (ranges, entity tags, dates, tokens, credentials) is ASCII. Parsing them as Swift
/// `String`s is not only slower, it is unsafe on the open internet: `String`/`Character` operations work on
/// grapheme clusters with canonical equivalence, and a value made of one letter and tens of thousands of
/// combining marks costs seconds of CPU in `==`, `hasPrefix`, `split` or trimming. Everything here is one pass
/// over the bytes, linear in the value's length whatever it holds.
///
/// The functions are generic over the byte collection so that tests can count every byte a parser reads.
/// The small ones are `@inlinable`: called from another module unspecialised, a generic trim or compare goes
/// through witness tables for every byte (the byte-level request reader cost six times as much that way).
public enum FieldBytes {
    @inlinable
    @inline(__always)
    public static func isOptionalWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// `bytes` without leading and trailing spaces and tabs (HTTP's optional whitespace).
    @inlinable
    public static func trimmed<Bytes: BidirectionalCollection>(_ bytes: Bytes) -> Bytes.SubSequence
    where Bytes.Element == UInt8 {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isOptionalWhitespace(bytes[start]) { bytes.formIndex(after: &start) }
        while start < end {
            let before = bytes.index(before: end)
            guard isOptionalWhitespace(bytes[before]) else { break }
            end = before
        }
        return bytes[start..<end]
    }

    /// The pieces between `separator`s, empty pieces included, in one pass.
    @inlinable
    public static func split<Bytes: Collection>(_ bytes: Bytes, on separator: UInt8) -> [Bytes.SubSequence]
    where Bytes.Element == UInt8 {
        var pieces: [Bytes.SubSequence] = []
        var start = bytes.startIndex
        var index = start
        while index < bytes.endIndex {
            if bytes[index] == separator {
                pieces.append(bytes[start..<index])
                start = bytes.index(after: index)
            }
            bytes.formIndex(after: &index)
        }
        pieces.append(bytes[start..<bytes.endIndex])
        return pieces
    }

    /// Whether `bytes` equal `ascii` ignoring ASCII case. `ascii` must be lower-case ASCII (a literal).
    @inlinable
    public static func equalsIgnoringCase<Bytes: Collection>(_ bytes: Bytes, _ ascii: String) -> Bool
    where Bytes.Element == UInt8 {
        bytes.count == ascii.utf8.count && hasPrefixIgnoringCase(bytes, ascii)
    }

    /// Whether `bytes` start with `ascii` ignoring ASCII case; `ascii` lower-case.
    @inlinable
    public static func hasPrefixIgnoringCase<Bytes: Collection>(_ bytes: Bytes, _ ascii: String) -> Bool
    where Bytes.Element == UInt8 {
        var index = bytes.startIndex
        for expected in ascii.utf8 {
            guard index < bytes.endIndex, lowercased(bytes[index]) == expected else { return false }
            bytes.formIndex(after: &index)
        }
        return true
    }

    @inlinable
    @inline(__always)
    public static func lowercased(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }

    /// Whether every byte is ASCII. Where a grammar has no place for other bytes, a value that has them is
    /// refused or ignored before any other work.
    public static func isASCII<Bytes: Sequence>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        bytes.allSatisfy { $0 < 0x80 }
    }

    /// RFC 9110 `tchar`: what a token (a method name, a header name) is made of.
    @inlinable
    public static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// A query component decoded as a form does: `+` is a space and `%XX` a byte; a `%` not followed by two
    /// hex digits stays as it is.
    public static func formDecoded<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            bytes.formIndex(after: &index)
            if byte == UInt8(ascii: "+") {
                output.append(0x20)
                continue
            }
            guard byte == UInt8(ascii: "%"), index < bytes.endIndex, let high = hexValue(bytes[index]) else {
                output.append(byte)
                continue
            }
            let next = bytes.index(after: index)
            guard next < bytes.endIndex, let low = hexValue(bytes[next]) else {
                output.append(byte)
                continue
            }
            output.append(high << 4 | low)
            index = bytes.index(after: next)
        }
        return output
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Decimal digits only, saturating at `UInt64.max` (positions beyond any real file). Nil when empty or
    /// when anything but a digit appears.
    public static func decimal<Bytes: Collection>(_ bytes: Bytes) -> UInt64? where Bytes.Element == UInt8 {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        var saturated = false
        for byte in bytes {
            guard (0x30...0x39).contains(byte) else { return nil }
            if saturated { continue }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            if overflow1 || overflow2 {
                saturated = true
                value = .max
            } else {
                value = sum
            }
        }
        return value
    }
}
