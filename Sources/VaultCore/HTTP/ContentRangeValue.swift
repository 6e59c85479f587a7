/// The value of a `Content-Range` field for satisfied bytes (RFC 9110 14.4): `bytes FIRST-LAST/LENGTH`.
///
/// Every 206 carries one. String interpolation of three integers was a measurable share of a range answer
/// (Docs/PERFORMANCE.md); the digits are written straight into the string's storage here.
public enum ContentRangeValue {
    public static func bytes(_ range: ClosedRange<UInt64>, of length: UInt64) -> String {
        // "bytes " + three numbers of at most 20 digits + "-" + "/".
        String(unsafeUninitializedCapacity: 6 + 3 * 20 + 2) { buffer in
            var end = 0
            for byte in "bytes ".utf8 {
                buffer[end] = byte
                end += 1
            }
            end = ASCIIDecimal.write(range.lowerBound, into: buffer, at: end)
            buffer[end] = UInt8(ascii: "-")
            end = ASCIIDecimal.write(range.upperBound, into: buffer, at: end + 1)
            buffer[end] = UInt8(ascii: "/")
            return ASCIIDecimal.write(length, into: buffer, at: end + 1)
        }
    }
}
