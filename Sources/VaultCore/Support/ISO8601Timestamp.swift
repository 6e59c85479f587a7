/// `2026-11-25T16:33:28.104Z` from seconds since 1970, by arithmetic alone.
///
/// Every voice answer carries a timestamp; building a Foundation date formatter for it cost a quarter of the
/// server's CPU on the hit path (ICU locale and calendar set-up), so this is a pure function instead.
public enum ISO8601Timestamp {
    public static func format(secondsSince1970 seconds: Double) -> String {
        let totalMilliseconds = Int64((seconds * 1000).rounded())
        let milliseconds = Int(((totalMilliseconds % 1000) + 1000) % 1000)
        let totalSeconds = (totalMilliseconds - Int64(milliseconds)) / 1000
        let (days, secondOfDay) = dayAndSecond(totalSeconds)
        let (year, month, day) = civilDate(daysSince1970: days)
        guard (0...9_999).contains(year) else {
            // Outside four-digit years (never a real asset's), the general spelling.
            return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
                + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + "." + pad(milliseconds, 3) + "Z"
        }
        // Every field has a fixed width here: the 24 characters are written straight into the string. Built from
        // padded pieces and fourteen concatenations it was a measurable share of every cache hit
        // (Docs/PERFORMANCE.md, "Index reads, record decoding and the range answer").
        return String(unsafeUninitializedCapacity: 24) { buffer in
            _ = ASCIIDecimal.write(year, width: 4, into: buffer, at: 0)
            buffer[4] = UInt8(ascii: "-")
            _ = ASCIIDecimal.write(month, width: 2, into: buffer, at: 5)
            buffer[7] = UInt8(ascii: "-")
            _ = ASCIIDecimal.write(day, width: 2, into: buffer, at: 8)
            buffer[10] = UInt8(ascii: "T")
            _ = writeTimeOfDay(secondOfDay, into: buffer, at: 11)
            buffer[19] = UInt8(ascii: ".")
            _ = ASCIIDecimal.write(milliseconds, width: 3, into: buffer, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// The day since 1970 a whole second falls in (rounded down, also before 1970) and the second within it.
    static func dayAndSecond(_ seconds: Int64) -> (day: Int, secondOfDay: Int) {
        let day = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        return (day, Int(seconds - Int64(day) * 86_400))
    }

    /// `HH:MM:SS` of a second of the day at `start`, both date formats' clock; returns the index after it.
    @inline(__always)
    static func writeTimeOfDay(_ secondOfDay: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        _ = ASCIIDecimal.write(secondOfDay / 3600, width: 2, into: buffer, at: start)
        buffer[start + 2] = UInt8(ascii: ":")
        _ = ASCIIDecimal.write(secondOfDay / 60 % 60, width: 2, into: buffer, at: start + 3)
        buffer[start + 5] = UInt8(ascii: ":")
        return ASCIIDecimal.write(secondOfDay % 60, width: 2, into: buffer, at: start + 6)
    }

    /// `2026-11-25`: the UTC day of a moment, by arithmetic alone (the ledger files every hit under one).
    public static func day(secondsSince1970 seconds: Double) -> String {
        let (year, month, day) = civilDate(daysSince1970: Int((seconds / 86_400).rounded(.down)))
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    /// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day count since 1970-01-01.
    static func civilDate(daysSince1970: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Howard Hinnant's `days_from_civil`, as seconds: midnight UTC of a proleptic Gregorian date.
    public static func secondsSince1970(year: Int, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return Int64(era * 146_097 + dayOfEra - 719_468) * 86_400
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
