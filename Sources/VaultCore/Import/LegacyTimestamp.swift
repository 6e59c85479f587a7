/// Reads the creation time of a legacy row: what Postgres and SQLite exports print
/// (`2024-03-01 12:00:00+00`, `2024-03-01T12:00:00.123456Z`, `2024-03-01T12:00:00+02:00`, `2024-03-01`) or
/// seconds since 1970 (milliseconds when the number is too large to be seconds). Pure; nil when unreadable.
public enum LegacyTimestamp {
    public static func secondsSince1970(_ text: String) -> Double? {
        let bytes = Array(text.trimmingWhitespace().utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }),
            let number = Double(String(decoding: bytes, as: UTF8.self))
        {
            return secondsSince1970(number)
        }
        return parseDate(bytes)
    }

    /// A number read as seconds, or as milliseconds when it is past the year 5138 as seconds.
    public static func secondsSince1970(_ number: Double) -> Double? {
        guard number.isFinite, number >= 0 else { return nil }
        return number > 1e11 ? number / 1000 : number
    }

    static func parseDate(_ bytes: [UInt8]) -> Double? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.digits(4), reader.skip("-"), let month = reader.digits(2), reader.skip("-"),
            let day = reader.digits(2), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var seconds = Double(daysSince1970(year: year, month: month, day: day)) * 86_400
        if reader.isAtEnd { return seconds }
        guard reader.skip("T") || reader.skip(" ") || reader.skip("t"),
            let hour = reader.digits(2), reader.skip(":"), let minute = reader.digits(2),
            hour < 24, minute < 60
        else { return nil }
        var second = 0
        if reader.skip(":") {
            guard let value = reader.digits(2), value < 61 else { return nil }
            second = value
        }
        seconds += Double(hour * 3600 + minute * 60 + second)
        if reader.skip(".") || reader.skip(",") {
            var scale = 0.1
            var any = false
            while let digit = reader.digit() {
                seconds += Double(digit) * scale
                scale /= 10
                any = true
            }
            guard any else { return nil }
        }
        if reader.skip(" ") {}
        if reader.isAtEnd || reader.skip("Z") || reader.skip("z") { return reader.isAtEnd ? seconds : nil }
        let sign: Double
        if reader.skip("+") { sign = 1 } else if reader.skip("-") { sign = -1 } else { return nil }
        guard let offsetHours = reader.digits(2), offsetHours < 24 else { return nil }
        var offsetMinutes = 0
        if !reader.isAtEnd {
            _ = reader.skip(":")
            guard let value = reader.digits(2), value < 60 else { return nil }
            offsetMinutes = value
        }
        guard reader.isAtEnd else { return nil }
        return seconds - sign * Double(offsetHours * 3600 + offsetMinutes * 60)
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    struct DigitReader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard offset < bytes.count, bytes[offset] == UInt8(character.value) else { return false }
            offset += 1
            return true
        }

        mutating func digit() -> Int? {
            guard offset < bytes.count, (0x30...0x39).contains(bytes[offset]) else { return nil }
            defer { offset += 1 }
            return Int(bytes[offset] - 0x30)
        }

        mutating func digits(_ count: Int) -> Int? {
            var value = 0
            for _ in 0..<count {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }
    }
}
