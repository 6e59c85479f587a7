/// HTTP dates (RFC 9110 section 5.6.7): formats IMF-fixdate, parses IMF-fixdate and the two obsolete forms
/// (RFC 850, asctime) that recipients must accept. Pure arithmetic in UTC, no formatter or locale.
public enum HTTPDate {
    static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for whole seconds since 1970.
    public static func format(_ seconds: Int64) -> String {
        let (days, secondOfDay) = ISO8601Timestamp.dayAndSecond(seconds)
        let (year, month, day) = ISO8601Timestamp.civilDate(daysSince1970: days)
        // Written as 29 bytes into one string: every download answer formats its Last-Modified, and the
        // interpolated version was a measurable share of it (Docs/PERFORMANCE.md).
        guard (0...9999).contains(year) else {
            let weekday = weekdays[((days % 7) + 7) % 7]
            return "\(weekday), \(ISO8601Timestamp.pad(day, 2)) \(months[month - 1]) \(ISO8601Timestamp.pad(year, 4)) "
                + "\(ISO8601Timestamp.pad(secondOfDay / 3600, 2)):\(ISO8601Timestamp.pad(secondOfDay / 60 % 60, 2)):"
                + "\(ISO8601Timestamp.pad(secondOfDay % 60, 2)) GMT"
        }
        let weekday = weekdayBytes[((days % 7) + 7) % 7]
        let monthName = monthNameBytes[month - 1]
        return String(unsafeUninitializedCapacity: 29) { out in
            out[0] = weekday.0
            out[1] = weekday.1
            out[2] = weekday.2
            out[3] = UInt8(ascii: ",")
            out[4] = UInt8(ascii: " ")
            _ = ASCIIDecimal.write(day, width: 2, into: out, at: 5)
            out[7] = UInt8(ascii: " ")
            out[8] = monthName.0
            out[9] = monthName.1
            out[10] = monthName.2
            out[11] = UInt8(ascii: " ")
            _ = ASCIIDecimal.write(year, width: 4, into: out, at: 12)
            out[16] = UInt8(ascii: " ")
            _ = ISO8601Timestamp.writeTimeOfDay(secondOfDay, into: out, at: 17)
            out[25] = UInt8(ascii: " ")
            out[26] = UInt8(ascii: "G")
            out[27] = UInt8(ascii: "M")
            out[28] = UInt8(ascii: "T")
            return 29
        }
    }

    private static let weekdayBytes: [(UInt8, UInt8, UInt8)] = weekdays.map { Self.threeBytes($0) }
    private static let monthNameBytes: [(UInt8, UInt8, UInt8)] = months.map { Self.threeBytes($0) }
    private static func threeBytes(_ name: String) -> (UInt8, UInt8, UInt8) {
        let bytes = Array(name.utf8)
        return (bytes[0], bytes[1], bytes[2])
    }

    /// Seconds since 1970, or nil for anything that is not one of the three forms.
    public static func parse(_ text: String) -> Int64? {
        parse(bytes: text.utf8)
    }

    /// The longest date any of the three forms can spell, with room for extra spaces: a longer value is not
    /// a date, and is refused before any work.
    static let maximumLength = 64

    /// One pass over the bytes: dates are ASCII, and a value that is not is no date.
    static func parse<Bytes: Collection>(bytes: Bytes) -> Int64? where Bytes.Element == UInt8 {
        guard bytes.count <= maximumLength, FieldBytes.isASCII(bytes) else { return nil }
        let parts = FieldBytes.split(bytes, on: UInt8(ascii: " ")).filter { !$0.isEmpty }.map { Array($0) }
        let comma = UInt8(ascii: ",")
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        if parts.count == 6, parts[0].last == comma, parts[5] == Array("GMT".utf8) {
            return make(year: number(parts[3]), month: parts[2], day: number(parts[1]), time: parts[4])
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        if parts.count == 4, parts[0].last == comma, parts[3] == Array("GMT".utf8) {
            let date = FieldBytes.split(parts[1], on: UInt8(ascii: "-"))
            guard date.count == 3, date[2].count == 2, let shortYear = number(date[2]) else { return nil }
            // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
            let year = shortYear < 70 ? 2000 + shortYear : 1900 + shortYear
            return make(year: year, month: Array(date[1]), day: number(date[0]), time: parts[2])
        }
        // asctime: Sun Nov  6 08:49:37 1994
        if parts.count == 5, parts[0].last != comma {
            return make(year: number(parts[4]), month: parts[1], day: number(parts[2]), time: parts[3])
        }
        return nil
    }

    static let monthBytes = months.map { Array($0.utf8) }

    /// A small decimal number (at most 9 digits), or nil.
    static func number<Bytes: Collection>(_ bytes: Bytes) -> Int? where Bytes.Element == UInt8 {
        guard bytes.count <= 9, let value = FieldBytes.decimal(bytes) else { return nil }
        return Int(value)
    }

    static func make(year: Int?, month: [UInt8], day: Int?, time: [UInt8]) -> Int64? {
        guard let year, let day, let monthIndex = monthBytes.firstIndex(of: month), (1...31).contains(day),
            (1...9999).contains(year)
        else { return nil }
        let clock = FieldBytes.split(time, on: UInt8(ascii: ":")).map { number($0) }
        guard clock.count == 3, let hour = clock[0], let minute = clock[1], let second = clock[2],
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = daysSince1970(year: year, month: monthIndex + 1, day: day)
        // Reject impossible dates such as 31 Feb by round-tripping.
        guard ISO8601Timestamp.civilDate(daysSince1970: days) == (year, monthIndex + 1, day) else { return nil }
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59))
    }

    /// Howard Hinnant's `days_from_civil`.
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
