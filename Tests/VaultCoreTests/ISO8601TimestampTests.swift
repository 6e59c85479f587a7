import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct ISO8601TimestampTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_764_088_408.104, "2025-11-25T16:33:28.104Z"),
        (1_795_624_408.104, "2026-11-25T16:33:28.104Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500Z"),  // leap day of a century leap year
        (4_107_542_399.999, "2100-02-28T23:59:59.999Z"),  // 2100 is not a leap year
        (-1.0, "1969-12-31T23:59:59.000Z"),
    ])
    func knownInstants(seconds: Double, expected: String) {
        #expect(ISO8601Timestamp.format(secondsSince1970: seconds) == expected)
    }

    @Test func agreesWithFoundationEverywhere() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let milliseconds = Int64.random(in: 0...7_258_118_400_000, using: &generator)  // 1970...2200
            let seconds = Double(milliseconds) / 1000
            #expect(
                ISO8601Timestamp.format(secondsSince1970: seconds)
                    == formatter.string(from: Date(timeIntervalSince1970: seconds)))
        }
    }

    /// Every four-digit year, written digit by digit, against `String(format:)` of the same fields (Foundation's
    /// formatter switches to the Julian calendar before 1582, so it is no oracle there); and outside them the
    /// general spelling still answers.
    @Test func everyFourDigitYearIsWrittenAsFormatWouldWriteIt() {
        var generator = SystemRandomNumberGenerator()
        let first = ISO8601Timestamp.secondsSince1970(year: 0, month: 1, day: 1) * 1000
        let last = ISO8601Timestamp.secondsSince1970(year: 10_000, month: 1, day: 1) * 1000 - 1
        for milliseconds in [first, last, 0, -1, 999] + (0..<5_000).map({ _ in Int64.random(in: first...last, using: &generator) }) {
            let seconds = Double(milliseconds) / 1000
            let millisecond = Int(((milliseconds % 1000) + 1000) % 1000)
            let total = (milliseconds - Int64(millisecond)) / 1000
            let days = Int(total >= 0 ? total / 86_400 : (total - 86_399) / 86_400)
            let secondOfDay = Int(total - Int64(days) * 86_400)
            let (year, month, day) = ISO8601Timestamp.civilDate(daysSince1970: days)
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, day, secondOfDay / 3600,
                secondOfDay / 60 % 60, secondOfDay % 60, millisecond)
            #expect(ISO8601Timestamp.format(secondsSince1970: seconds) == expected, "\(milliseconds)")
        }
        #expect(ISO8601Timestamp.format(secondsSince1970: Double(last + 1) / 1000) == "10000-01-01T00:00:00.000Z")
    }

    /// The UTC day the budget and the ledger file things under agrees with the calendar, at day edges too.
    @Test func daysAgreeWithTheCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        var generator = SystemRandomNumberGenerator()
        let edges: [Double] = [0, 86_399.999, 86_400, -0.001, 951_782_399.999, 951_782_400]
        for seconds in edges + (0..<2_000).map({ _ in Double(Int64.random(in: 0...7_258_118_400, using: &generator)) }) {
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: seconds))
            let expected = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
            #expect(ISO8601Timestamp.day(secondsSince1970: seconds) == expected, "\(seconds)")
        }
    }
}
