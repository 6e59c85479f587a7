/// The value of a `Content-Range` field for satisfied bytes (RFC 9110 14.4): `bytes FIRST-LAST/LENGTH`.
///
/// Every 206 carries one. String interpolation of three integers cost about 2,000 instructions (callgrind), a
/// fortieth of a whole range answer; the digits are written straight into the string's storage here.
public enum ContentRangeValue {
    public static func bytes(_ range: ClosedRange<UInt64>, of length: UInt64) -> String {
        // "bytes " + three numbers of at most 20 digits + "-" + "/".
        String(unsafeUninitializedCapacity: 6 + 3 * 20 + 2) { buffer in
            var end = 0
            for byte in "bytes ".utf8 { buffer[end] = byte; end += 1 }
            end = writeDecimal(range.lowerBound, into: buffer, at: end)
            buffer[end] = UInt8(ascii: "-")
            end = writeDecimal(range.upperBound, into: buffer, at: end + 1)
            buffer[end] = UInt8(ascii: "/")
            return writeDecimal(length, into: buffer, at: end + 1)
        }
    }

    /// Writes `value` in decimal at `start`; returns the index after its last digit.
    static func writeDecimal(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 { digits += 1; rest /= 10 }
        var remaining = value
        for index in stride(from: start + digits - 1, through: start, by: -1) {
            buffer[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
        }
        return start + digits
    }
}
