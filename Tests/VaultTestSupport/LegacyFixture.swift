public import Foundation

/// `Fixtures/legacy-expected.json`, written by Scripts/make-legacy-fixture.py from its own implementation of
/// the hashes: what importing `Fixtures/legacy.sqlite` must do, row by row.
public struct LegacyFixture: Decodable, Sendable {
    public struct Row: Decodable, Sendable {
        public let rowId: Int
        public let book: String
        /// `imported`, `linked`, or the code the row is refused with.
        public let outcome: String
        public let contentHash: String?
        public let legacyKey: String?
    }

    public struct OddTable: Decodable, Sendable {
        /// The `--column` mappings the table needs.
        public let columns: [String]
        public let rows: [Row]
    }

    public let book_audio: [Row]
    public let book_audio_v0: OddTable
    public let unreferencedFiles: [String]

    public static func load() throws -> LegacyFixture {
        try JSONDecoder().decode(
            LegacyFixture.self, from: Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("legacy-expected.json"))))
    }
}
