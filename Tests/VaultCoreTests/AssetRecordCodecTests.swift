import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct AssetRecordCodecTests {
    static let full = AssetRecord(
        contentHash: SHA256Digest.test("h").hex, bookIds: ["b2", "b1", "b-ü"], voiceId: "21m00Tcm4TlvDq8ikWAM",
        modelId: "eleven_multilingual_v2", outputFormat: "mp3_44100_128", byteSize: 5_000_000_000,
        sha256: SHA256Digest.test("bytes").hex, durationSeconds: 3725.125, wordCount: 12_345,
        characterCount: 200_000, createdAt: 1_764_000_000.25, upstreamRequestId: "req_abc", characterCost: 199_999,
        upstreamHistoryItemId: "hist_1,hist_2")
    static let historyOnly = AssetRecord(
        contentHash: SHA256Digest.test("o").hex, bookIds: ["b"], voiceId: "v", modelId: "m", outputFormat: "f",
        byteSize: 1, sha256: SHA256Digest.test("o2").hex, durationSeconds: 1, wordCount: 1, characterCount: 1,
        createdAt: 1, origin: .imported, upstreamHistoryItemId: "hist")
    static let minimal = AssetRecord(
        contentHash: SHA256Digest.test("m").hex, bookIds: [], voiceId: "", modelId: "m", outputFormat: "f",
        byteSize: 0, sha256: SHA256Digest.test("m2").hex, durationSeconds: 0, wordCount: 0, characterCount: 0,
        createdAt: 0)

    @Test(arguments: [full, minimal, historyOnly])
    func roundTrips(record: AssetRecord) throws {
        let bytes = try AssetRecordCodec.encode(record)
        let decoded = try bytes.withUnsafeBytes { try AssetRecordCodec.decode($0) }
        #expect(decoded == record)
    }

    /// `AssetRecord.sortedUnique` skips the set and the sort for ids already strictly ascending; the set and
    /// the sort are the oracle, on random lists with duplicates, every order, and canonically equivalent
    /// spellings ("é" precomposed and decomposed are equal `String`s).
    @Test func bookIdsAreSortedAndUniqueHoweverTheyArrive() {
        let pool = ["a", "b", "b-ü", "é", "e\u{301}", "Z", "", "book 10", "book 9", "ü", "u\u{308}"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let ids = (0..<Int.random(in: 0...6, using: &generator)).map { _ in pool.randomElement(using: &generator)! }
            let oracle = Array(Set(ids)).sorted()
            let result = AssetRecord.sortedUnique(ids)
            #expect(result == oracle, "\(ids)")
            #expect(zip(result, result.dropFirst()).allSatisfy { $0 < $1 })
        }
    }

    /// A stored list out of order or with a repeat (a record written by hand or damaged) still decodes to the
    /// sorted, unique ids every other reader expects.
    @Test func aStoredBookListOutOfOrderIsSortedOnDecode() throws {
        var bytes = try AssetRecordCodec.encode(Self.minimal)
        #expect(bytes.removeLast() == 0, "the minimal record ends with its empty book list")
        AssetRecordCodec.appendVarint(3, to: &bytes)
        for id in ["b", "a", "b"] { AssetRecordCodec.appendString(id, to: &bytes) }
        let decoded = try bytes.withUnsafeBytes { try AssetRecordCodec.decode($0) }
        #expect(decoded.bookIds == ["a", "b"])
    }

    /// Digests are spelled in lowercase hex straight into a string's storage, by the record's decoder and by
    /// `SHA256Digest.hex`; `String(format:)` is the oracle.
    @Test func digestsAreSpelledInLowercaseHex() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let spelled = bytes.map { String(format: "%02x", $0) }.joined()
            let digest = try #require(SHA256Digest(bytes: bytes))
            #expect(digest.hex == spelled)
            #expect(SHA256Digest(hex: spelled) == digest)
            let record = AssetRecord(
                contentHash: spelled, bookIds: [], voiceId: "v", modelId: "m", outputFormat: "f", byteSize: 1,
                sha256: spelled, durationSeconds: 1, wordCount: 1, characterCount: 1, createdAt: 1)
            let decoded = try AssetRecordCodec.encode(record).withUnsafeBytes { try AssetRecordCodec.decode($0) }
            #expect(decoded.contentHash == spelled && decoded.sha256 == spelled)
        }
    }

    @Test func everyTruncationIsRejected() throws {
        let bytes = try AssetRecordCodec.encode(Self.full)
        for length in 0..<bytes.count {
            #expect(throws: AssetRecordCodec.DecodingError.self) {
                _ = try Array(bytes.prefix(length)).withUnsafeBytes { try AssetRecordCodec.decode($0) }
            }
        }
        #expect(throws: AssetRecordCodec.DecodingError(reason: "trailing bytes after the record")) {
            _ = try (bytes + [0]).withUnsafeBytes { try AssetRecordCodec.decode($0) }
        }
    }

    @Test func unknownLayoutsAndBadFieldsAreRejected() throws {
        var bytes = try AssetRecordCodec.encode(Self.full)
        bytes[2] = 2
        #expect(throws: AssetRecordCodec.DecodingError(reason: "unknown record layout")) {
            _ = try bytes.withUnsafeBytes { try AssetRecordCodec.decode($0) }
        }
        var bad = Self.full
        bad.sha256 = "xyz"
        #expect(throws: AssetRecordCodec.DecodingError.self) { _ = try AssetRecordCodec.encode(bad) }
        bad = Self.full
        bad.byteSize = -1
        #expect(throws: AssetRecordCodec.DecodingError.self) { _ = try AssetRecordCodec.encode(bad) }
    }

    /// `original` with one to four random bytes replaced by random values.
    static func corrupted(_ original: [UInt8], using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes = original
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
        }
        return bytes
    }

    @Test func randomCorruptionNeverCrashes() throws {
        let original = try AssetRecordCodec.encode(Self.full)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            _ = try? Self.corrupted(original, using: &generator).withUnsafeBytes { try AssetRecordCodec.decode($0) }
        }
    }

    /// The download's partial read, with the full decode as the oracle: the same fields and book membership
    /// for whole records, and a throw exactly where the decode throws, on every truncation and on random
    /// corruption.
    @Test func theDownloadFieldsAgreeWithTheFullDecode() throws {
        func fields(_ bytes: [UInt8], _ book: String) throws -> AssetDownloadFields {
            try bytes.withUnsafeBytes { raw in try Array(book.utf8).withUnsafeBytes { try AssetRecordCodec.downloadFields(raw, book: $0) } }
        }
        func decoded(_ bytes: [UInt8]) throws -> AssetRecord { try bytes.withUnsafeBytes { try AssetRecordCodec.decode($0) } }
        let books = ["b1", "b2", "b-ü", "b", "b10", "", "B1"]
        for record in [Self.full, Self.minimal] {
            let bytes = try AssetRecordCodec.encode(record)
            for book in books {
                let read = try fields(bytes, book)
                #expect(read.byteSize == record.byteSize && read.sha256.hex == record.sha256 && read.createdAt == record.createdAt)
                #expect(read.inBook == record.bookIds.contains(book), "\(book)")
            }
            for length in 0..<bytes.count {
                #expect(throws: AssetRecordCodec.DecodingError.self) { _ = try fields(Array(bytes.prefix(length)), "b1") }
            }
            #expect(throws: AssetRecordCodec.DecodingError.self) { _ = try fields(bytes + [0], "b1") }
        }
        let original = try AssetRecordCodec.encode(Self.full)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let bytes = Self.corrupted(original, using: &generator)
            let book = books.randomElement(using: &generator) ?? "b1"
            switch (Result { try decoded(bytes) }, Result { try fields(bytes, book) }) {
            case let (.success(record), .success(read)):
                #expect(
                    read.byteSize == record.byteSize && read.sha256.hex == record.sha256
                        && read.createdAt.bitPattern == record.createdAt.bitPattern)
                #expect(read.inBook == record.bookIds.contains { Array($0.utf8) == Array(book.utf8) })
            case (.failure, .failure): break
            case let (whole, partial): Issue.record("decode \(whole) but downloadFields \(partial)")
            }
        }
    }

    @Test func varintsCoverTheirRange() throws {
        for value: UInt64 in [0, 1, 127, 128, 300, 16_383, 16_384, UInt64(Int.max)] {
            var out = [UInt8]()
            AssetRecordCodec.appendVarint(value, to: &out)
            let decoded = try out.withUnsafeBytes { raw -> UInt64 in
                var reader = AssetRecordCodec.Reader(bytes: raw)
                return try reader.varint()
            }
            #expect(decoded == value)
        }
        let tooLong = [UInt8](repeating: 0xFF, count: 11)
        #expect(throws: AssetRecordCodec.DecodingError.self) {
            _ = try tooLong.withUnsafeBytes { raw -> UInt64 in
                var reader = AssetRecordCodec.Reader(bytes: raw)
                return try reader.varint()
            }
        }
    }
}
