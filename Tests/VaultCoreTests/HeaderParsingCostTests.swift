import Testing
import VaultTestSupport
@testable import VaultCore

/// Issue 10 item 1: header values full of combining marks cost seconds each when parsed as Swift strings
/// (grapheme clusters, canonical equivalence). The parsers now read bytes; these tests count every byte
/// they read, so they check linearity without a clock.
@Suite struct HeaderParsingCostTests {
    /// A byte collection that counts reads: the cost of a parse, independent of the machine.
    struct CountingBytes: BidirectionalCollection {
        final class Counter { var reads = 0 }
        let base: [UInt8]
        let counter = Counter()
        var startIndex: Int { base.startIndex }
        var endIndex: Int { base.endIndex }
        func index(after i: Int) -> Int { i + 1 }
        func index(before i: Int) -> Int { i - 1 }
        subscript(position: Int) -> UInt8 {
            counter.reads += 1
            return base[position]
        }
    }

    /// The probe's shape: a letter, then tens of thousands of combining marks (U+0301, U+0316).
    static func combiningRun(_ prefix: String, marks: Int = 38_000) -> [UInt8] {
        var bytes = Array(prefix.utf8) + Array("a".utf8)
        for index in 0..<marks { bytes += index % 2 == 0 ? [0xCC, 0x81] : [0xCC, 0x96] }
        return bytes
    }

    /// Hostile and ordinary inputs for every header grammar, ASCII worst cases included.
    static let inputs: [[UInt8]] = [
        combiningRun(""), combiningRun("bytes=0-"), combiningRun("bytes=0-1,"), combiningRun("\""), combiningRun("W/\""),
        combiningRun("\"x\", "), combiningRun("Sun, 06 Nov 1994 "), combiningRun("Bearer "),
        Array(("bytes=" + String(repeating: "0-1,", count: 20_000)).utf8),
        Array(("bytes=" + String(repeating: " ", count: 70_000) + "0-1").utf8),
        Array(String(repeating: "\"abc\", W/\"d\", ", count: 5_000).utf8),
        Array(String(repeating: ",", count: 70_000).utf8),
        Array("bytes=0-499, -500, 1000-".utf8), Array("\"etag\"".utf8), Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8),
    ]

    static let facts = DownloadFacts(length: 1_000, entityTag: "\"etag\"", lastModified: 784_111_777)

    /// Each parser may look at each byte a small constant number of times, whatever the input holds.
    func expectLinear(_ name: String, _ parse: (CountingBytes) -> Void) {
        for input in Self.inputs {
            let bytes = CountingBytes(base: input)
            parse(bytes)
            #expect(bytes.counter.reads <= 6 * input.count + 16, "\(name) read \(bytes.counter.reads) bytes of \(input.count)")
        }
    }

    @Test func rangeParsingIsLinear() {
        expectLinear("Range") { _ = ByteRangeSet.parse(bytes: $0) }
    }

    @Test func entityTagListsAreLinear() {
        expectLinear("If-None-Match") { _ = EntityTagList.matches(bytes: $0, "\"etag\"", weak: true) }
        expectLinear("If-Match") { _ = EntityTagList.matches(bytes: $0, "\"etag\"", weak: false) }
    }

    @Test func ifRangeAndDatesAreLinear() {
        expectLinear("If-Range") { _ = DownloadPlanner.ifRangeHolds(bytes: $0, Self.facts) }
        expectLinear("If-Modified-Since") { _ = HTTPDate.parse(bytes: $0) }
    }

    @Test func contentTypesAndDispositionsAreLinear() {
        expectLinear("Content-Disposition") { _ = MultipartFormData.parameters($0) }
    }

    @Test func nonASCIIValuesAreIgnoredWhereTheGrammarHasNoPlaceForThem() {
        #expect(ByteRangeSet.parse(String(decoding: Self.combiningRun("bytes=0-"), as: UTF8.self)) == nil)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT\u{301}") == nil)
        #expect(!EntityTagList.matches("\"etag\u{301}\"", "\"etag\"", weak: true))
        #expect(MultipartFormData.boundary(fromContentType: "multipart/form-data; boundary=ab\u{301}") == nil)
        // Ordinary values still parse as before.
        #expect(ByteRangeSet.parse(" bytes=0-1, -5 ,") == [.from(first: 0, last: 1), .suffix(length: 5)])
        #expect(ByteRangeSet.parse("BYTES=7-") == [.from(first: 7, last: nil)])
        #expect(ByteRangeSet.parse("bytes=99999999999999999999999-") == [.from(first: .max, last: nil)])
        #expect(EntityTagList.matches(" \"a\" ,W/\"etag\"", "\"etag\"", weak: true))
        #expect(DownloadPlanner.ifRangeHolds(bytes: " Sun, 06 Nov 1994 08:49:37 GMT ".utf8, Self.facts))
        #expect(MultipartFormData.boundary(fromContentType: "Multipart/Form-Data; charset=x; BOUNDARY=\"a b\"") == "a b")
    }

    @Test func formDecodingIsBytewise() {
        #expect(FieldBytes.formDecoded("a+b%20c%2".utf8) == Array("a b c%2".utf8))
        #expect(FieldBytes.formDecoded("%e2%82%ac%zz".utf8) == [0xE2, 0x82, 0xAC] + Array("%zz".utf8))
    }
}
