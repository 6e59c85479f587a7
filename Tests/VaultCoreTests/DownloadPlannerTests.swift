import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// RFC 9110 range and conditional decisions, one row per header combination, against a 1,000-byte file whose
/// strong ETag is "abc" and whose Last-Modified is Sun, 06 Nov 1994 08:49:37 GMT.
@Suite struct DownloadPlannerTests {
    static let facts = DownloadFacts(length: 1000, entityTag: "\"abc\"", lastModified: 784_111_777)
    static let lastModified = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let earlier = "Sun, 06 Nov 1994 08:49:36 GMT"
    static let later = "Sun, 06 Nov 1994 08:49:38 GMT"

    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let request: DownloadRequest
        let expected: DownloadPlan
        var testDescription: String { name }
    }

    static func get(
        _ range: String? = nil, ifRange: String? = nil, ifMatch: String? = nil, ifNoneMatch: String? = nil,
        ifModifiedSince: String? = nil, ifUnmodifiedSince: String? = nil, method: DownloadRequest.Method = .get
    )
        -> DownloadRequest
    {
        DownloadRequest(
            method: method, range: range, ifRange: ifRange, ifMatch: ifMatch, ifNoneMatch: ifNoneMatch,
            ifModifiedSince: ifModifiedSince, ifUnmodifiedSince: ifUnmodifiedSince)
    }

    static let rows: [Row] = [
        // Plain requests.
        Row(name: "no headers", request: get(), expected: .full),
        Row(name: "HEAD", request: get(method: .head), expected: .full),
        // Single ranges (14.1.2).
        Row(name: "first-last", request: get("bytes=0-499"), expected: .partial(0...499)),
        Row(name: "middle", request: get("bytes=500-599"), expected: .partial(500...599)),
        Row(name: "open-ended", request: get("bytes=900-"), expected: .partial(900...999)),
        Row(name: "suffix", request: get("bytes=-100"), expected: .partial(900...999)),
        Row(name: "suffix longer than file", request: get("bytes=-5000"), expected: .partial(0...999)),
        Row(name: "last byte", request: get("bytes=999-999"), expected: .partial(999...999)),
        Row(name: "last clamped", request: get("bytes=990-5000"), expected: .partial(990...999)),
        Row(name: "whole file as range", request: get("bytes=0-"), expected: .partial(0...999)),
        Row(name: "unit is case-insensitive", request: get("Bytes=0-0"), expected: .partial(0...0)),
        Row(name: "whitespace after =", request: get("bytes= 0-9"), expected: .partial(0...9)),
        Row(name: "empty list elements", request: get("bytes=, 0-9 ,"), expected: .partial(0...9)),
        // Unsatisfiable (15.5.17).
        Row(name: "first past end", request: get("bytes=1000-"), expected: .unsatisfiable),
        Row(name: "far past end", request: get("bytes=5000-6000"), expected: .unsatisfiable),
        Row(name: "zero suffix", request: get("bytes=-0"), expected: .unsatisfiable),
        Row(name: "all pieces past end", request: get("bytes=1000-1001, 2000-"), expected: .unsatisfiable),
        Row(name: "overflowing number is past end", request: get("bytes=99999999999999999999999-"), expected: .unsatisfiable),
        // Ignored Range headers: whole file (14.2).
        Row(name: "other unit", request: get("items=0-1"), expected: .full),
        Row(name: "no unit", request: get("0-99"), expected: .full),
        Row(name: "last before first", request: get("bytes=500-100"), expected: .full),
        Row(name: "no dash", request: get("bytes=100"), expected: .full),
        Row(name: "negative", request: get("bytes=--5"), expected: .full),
        Row(name: "garbage", request: get("bytes=a-b"), expected: .full),
        Row(name: "only commas", request: get("bytes=,,"), expected: .full),
        Row(name: "inner space", request: get("bytes=1 0-20"), expected: .full),
        Row(name: "Range on HEAD is ignored", request: get("bytes=0-9", method: .head), expected: .full),
        Row(name: "Range on other methods is ignored", request: get("bytes=0-9", method: .other), expected: .full),
        Row(
            name: "more ranges than allowed", request: get("bytes=" + (0..<17).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")),
            expected: .full),
        Row(name: "ranges adding up past the file", request: get("bytes=0-999, 0-999"), expected: .full),
        // Several ranges (14.6, 15.3.7).
        Row(name: "two ranges", request: get("bytes=0-99, 500-599"), expected: .multipart([0...99, 500...599])),
        Row(
            name: "three ranges with spaces", request: get("bytes= 0-9, 100-109 , -10"),
            expected: .multipart([0...9, 100...109, 990...999])),
        Row(name: "unsorted are sorted", request: get("bytes=500-599,0-99"), expected: .multipart([0...99, 500...599])),
        Row(name: "overlapping coalesce", request: get("bytes=0-99,50-149,400-499"), expected: .multipart([0...149, 400...499])),
        Row(name: "adjacent coalesce to one part", request: get("bytes=0-99,100-199"), expected: .partial(0...199)),
        Row(name: "unsatisfiable piece skipped", request: get("bytes=0-9,5000-6000"), expected: .partial(0...9)),
        Row(
            name: "exactly the maximum", request: get("bytes=" + (0..<16).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")),
            expected: .multipart((0..<16).map { UInt64($0 * 10)...UInt64($0 * 10 + 1) })),
        // If-None-Match (13.1.2): weak comparison, lists, *.
        Row(name: "INM match", request: get(ifNoneMatch: "\"abc\""), expected: .notModified),
        Row(name: "INM weak match", request: get(ifNoneMatch: "W/\"abc\""), expected: .notModified),
        Row(name: "INM list", request: get(ifNoneMatch: "\"x\", \"abc\""), expected: .notModified),
        Row(name: "INM star", request: get(ifNoneMatch: "*"), expected: .notModified),
        Row(name: "INM other", request: get(ifNoneMatch: "\"zzz\""), expected: .full),
        Row(name: "INM match beats Range", request: get("bytes=0-9", ifNoneMatch: "\"abc\""), expected: .notModified),
        Row(name: "INM on HEAD", request: get(ifNoneMatch: "\"abc\"", method: .head), expected: .notModified),
        Row(name: "INM on other methods", request: get(ifNoneMatch: "\"abc\"", method: .other), expected: .preconditionFailed),
        Row(name: "INM miss then Range", request: get("bytes=0-9", ifNoneMatch: "\"zzz\""), expected: .partial(0...9)),
        // If-Modified-Since (13.1.3), only without If-None-Match.
        Row(name: "IMS equal", request: get(ifModifiedSince: lastModified), expected: .notModified),
        Row(name: "IMS later", request: get(ifModifiedSince: later), expected: .notModified),
        Row(name: "IMS earlier", request: get(ifModifiedSince: earlier), expected: .full),
        Row(name: "IMS invalid is ignored", request: get(ifModifiedSince: "yesterday"), expected: .full),
        Row(name: "IMS RFC 850 form", request: get(ifModifiedSince: "Sunday, 06-Nov-94 08:49:37 GMT"), expected: .notModified),
        Row(name: "IMS asctime form", request: get(ifModifiedSince: "Sun Nov  6 08:49:37 1994"), expected: .notModified),
        Row(name: "IMS ignored when INM present", request: get(ifNoneMatch: "\"zzz\"", ifModifiedSince: later), expected: .full),
        // If-Match and If-Unmodified-Since (13.1.1, 13.1.4).
        Row(name: "IM strong match", request: get("bytes=0-9", ifMatch: "\"abc\""), expected: .partial(0...9)),
        Row(name: "IM star", request: get(ifMatch: "*"), expected: .full),
        Row(name: "IM weak never matches", request: get(ifMatch: "W/\"abc\""), expected: .preconditionFailed),
        Row(name: "IM other", request: get(ifMatch: "\"zzz\""), expected: .preconditionFailed),
        Row(name: "IUS later holds", request: get(ifUnmodifiedSince: later), expected: .full),
        Row(name: "IUS earlier fails", request: get(ifUnmodifiedSince: earlier), expected: .preconditionFailed),
        Row(name: "IUS ignored when IM present", request: get(ifMatch: "\"abc\"", ifUnmodifiedSince: earlier), expected: .full),
        // If-Range (13.1.5).
        Row(name: "IR strong tag holds", request: get("bytes=0-9", ifRange: "\"abc\""), expected: .partial(0...9)),
        Row(name: "IR other tag: whole file", request: get("bytes=0-9", ifRange: "\"zzz\""), expected: .full),
        Row(name: "IR weak tag never holds", request: get("bytes=0-9", ifRange: "W/\"abc\""), expected: .full),
        Row(name: "IR exact date holds", request: get("bytes=0-9", ifRange: lastModified), expected: .partial(0...9)),
        Row(name: "IR later date: whole file", request: get("bytes=0-9", ifRange: later), expected: .full),
        Row(name: "IR garbage: whole file", request: get("bytes=0-9", ifRange: "soon"), expected: .full),
        Row(name: "IR without Range is ignored", request: get(ifRange: "\"zzz\""), expected: .full),
        Row(name: "IR holds but range unsatisfiable", request: get("bytes=5000-", ifRange: "\"abc\""), expected: .unsatisfiable),
    ]

    @Test(arguments: rows)
    func plans(row: Row) {
        #expect(DownloadPlanner().plan(row.request, Self.facts) == row.expected, "\(row.name)")
    }

    @Test func tableCoversEnoughCombinations() {
        #expect(Self.rows.count >= 40)
    }

    @Test func emptyFiles() {
        let empty = DownloadFacts(length: 0, entityTag: "\"e\"", lastModified: 0)
        #expect(DownloadPlanner().plan(Self.get("bytes=-10"), empty) == .full)
        #expect(DownloadPlanner().plan(Self.get("bytes=0-"), empty) == .unsatisfiable)
        #expect(DownloadPlanner().plan(Self.get("bytes=-0"), empty) == .unsatisfiable)
        #expect(DownloadPlanner().plan(Self.get(), empty) == .full)
    }

    @Test func hugeFilesDoNotOverflow() {
        let huge = DownloadFacts(length: .max, entityTag: "\"h\"", lastModified: 0)
        #expect(DownloadPlanner().plan(Self.get("bytes=-1"), huge) == .partial((UInt64.max - 1)...(UInt64.max - 1)))
        #expect(DownloadPlanner().plan(Self.get("bytes=0-,1-"), huge) == .full)
    }

    @Test func httpDatesRoundTripAndRejectNonsense() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        for seconds: Int64 in [0, 784_111_777, 951_782_400, 1_795_624_408, 4_102_444_799] {
            #expect(HTTPDate.parse(HTTPDate.format(seconds)) == seconds)
        }
        for bad in [
            "", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC", "1994-11-06T08:49:37Z", "Sunday, 06-Nov-1994 08:49:37 GMT",
        ] {
            #expect(HTTPDate.parse(bad) == nil, "\(bad)")
        }
    }

    /// The byte-written format agrees with Foundation's formatter (en_US_POSIX, GMT) across the years a file's
    /// time can hold (1900 to 9999: before 1582 Foundation counts Julian days), leap days and second boundaries
    /// included, and before 1970.
    @Test func httpDatesAgreeWithFoundationsFormatter() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = try #require(TimeZone(identifier: "GMT"))
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SystemRandomNumberGenerator()
        var seconds: [Int64] = [0, -1, 59, 60, 86_399, 86_400, 951_868_799, 951_868_800, 4_102_444_799, 253_402_300_799, -2_208_988_800]
        for _ in 0..<5_000 { seconds.append(Int64.random(in: -2_208_988_800...4_102_444_800, using: &generator)) }
        for second in seconds {
            #expect(HTTPDate.format(second) == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(second))), "\(second)")
        }
    }

    @Test func entityTagLists() {
        #expect(EntityTagList.matches("\"a\", W/\"b\"", "\"b\"", weak: true))
        #expect(!EntityTagList.matches("\"a\", W/\"b\"", "\"b\"", weak: false))
        #expect(EntityTagList.matches(" * ", "\"anything\"", weak: false))
        #expect(!EntityTagList.matches("\"ab\"", "\"a\"", weak: true))
    }
}
