/// Decimal digits written straight into a string's UTF-8 storage (`String(unsafeUninitializedCapacity:)`), for
/// the values the hot paths spell on every answer (`Content-Range`, `Last-Modified`, a hit's timestamp): built by
/// interpolation and padding, each was a measurable share of an answer (Docs/PERFORMANCE.md).
enum ASCIIDecimal {
    /// Writes `value` at `start`, with leading zeros up to `width` digits; returns the index after its last digit.
    /// The buffer must have room from `start` for the digits: `width` of them, or more when `value` needs more.
    @inline(__always)
    static func write(_ value: UInt64, width: Int = 1, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        digits = max(digits, width)
        var remaining = value
        for index in stride(from: start + digits - 1, through: start, by: -1) {
            buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
        }
        return start + digits
    }

    /// `write` for the non-negative `Int` fields of a date.
    @inline(__always)
    static func write(_ value: Int, width: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        write(UInt64(value), width: width, into: buffer, at: start)
    }
}
