import Testing
@testable import VaultCore

/// The pure decisions of a legacy import: which column is which, where a row's file is, when it was made, and
/// what the row means or why it cannot be imported.
@Suite struct LegacyRowPlanTests {
    // MARK: Column map

    static let defaultColumns = LegacyField.allCases.map(\.rawValue)

    @Test func defaultNamesNeedNoMapping() throws {
        let map = try LegacyColumnMap(mappings: [], tableColumns: Self.defaultColumns + ["id"])
        #expect(map.fields == LegacyField.allCases)
        #expect(map.pageStatement(table: "book_audio").hasPrefix("SELECT rowid, \"text\", \"voice_id\""))
    }

    @Test func columnNamesMatchWithoutRegardToCase() throws {
        let map = try LegacyColumnMap(mappings: [], tableColumns: ["TEXT", "Voice_Id", "BOOK_ID", "storage_path"])
        #expect(map.columns[.text] == "TEXT")
        #expect(map.columns[.voiceId] == "Voice_Id")
        #expect(map.columns[.model] == nil)
    }

    @Test func mappingsRenameAndOptionalFieldsMayBeAbsent() throws {
        let map = try LegacyColumnMap(
            mappings: ["text=chapter_text", "storage_path=audio url"],
            tableColumns: ["chapter_text", "voice_id", "book_id", "audio url"])
        #expect(map.fields == [.text, .voiceId, .bookId, .storagePath])
        #expect(
            map.pageStatement(table: "t\"x")
                == "SELECT rowid, \"chapter_text\", \"voice_id\", \"book_id\", \"audio url\" FROM \"t\"\"x\" WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        )
    }

    @Test func badMappingsAreRefusedBeforeAnyRow() {
        let columns = Self.defaultColumns
        #expect(throws: LegacyColumnMap.Failure.malformedMapping("text")) { try LegacyColumnMap(mappings: ["text"], tableColumns: columns) }
        #expect(throws: LegacyColumnMap.Failure.malformedMapping("text=")) {
            try LegacyColumnMap(mappings: ["text="], tableColumns: columns)
        }
        #expect(throws: LegacyColumnMap.Failure.unknownField("voice")) { try LegacyColumnMap(mappings: ["voice=v"], tableColumns: columns) }
        #expect(throws: LegacyColumnMap.Failure.duplicateField(.text)) {
            try LegacyColumnMap(mappings: ["text=a", "text=b"], tableColumns: columns + ["a", "b"])
        }
        #expect(throws: LegacyColumnMap.Failure.missingColumn(field: .model, column: "tts")) {
            try LegacyColumnMap(mappings: ["model=tts"], tableColumns: columns)
        }
        #expect(throws: LegacyColumnMap.Failure.missingRequiredColumn(field: .storagePath, column: "storage_path")) {
            try LegacyColumnMap(mappings: [], tableColumns: ["text", "voice_id", "book_id"])
        }
    }

    // MARK: Storage paths

    @Test(
        arguments: [
            ("book-1/abc.mp3", "audio", "book-1/abc.mp3"),
            ("audio/book-1/abc.mp3", "audio", "book-1/abc.mp3"),
            ("/audio/book-1/abc.mp3", "audio", "book-1/abc.mp3"),
            ("audio/book-1/abc.mp3", nil, "audio/book-1/abc.mp3"),
            ("audio.mp3", "audio.mp3", "audio.mp3"),
            ("https://x.supabase.co/storage/v1/object/public/audio/book-1/abc.mp3", "audio", "book-1/abc.mp3"),
            ("https://x.supabase.co/storage/v1/object/sign/audio/book-1/abc.mp3?token=t.u.v", "audio", "book-1/abc.mp3"),
            ("http://h/storage/v1/object/authenticated/audio/book-1/abc.mp3#x", "audio", "book-1/abc.mp3"),
            ("http://h/storage/v1/object/audio/book%201/a%2Bb.mp3", "audio", "book 1/a+b.mp3"),
            ("/storage/v1/object/public/audio/book-1/abc.mp3", "audio", "book-1/abc.mp3"),
            ("  book-1/50%.mp3\n", nil, "book-1/50%.mp3"),
        ] as [(String, String?, String)])
    func storagePathsReadEveryWayTheyWereStored(stored: String, bucket: String?, expected: String) throws {
        #expect(try LegacyStoragePath(stored, bucket: bucket).description == expected)
    }

    @Test func unsafeOrEmptyPathsAreRefused() {
        for stored in [
            "book/../x.mp3", "../x.mp3", "a//b.mp3", "./a.mp3", "a\\b.mp3", "a/b\u{01}.mp3",
            "http://h/storage/v1/object/public/audio/%2e%2e/x.mp3", "http://h/storage/v1/object/a/b%2Fc.mp3",
            "http://h/storage/v1/object/a/%zz.mp3",
        ] {
            #expect(throws: LegacyStoragePath.Failure.self, "\(stored)") { try LegacyStoragePath(stored, bucket: nil) }
        }
        #expect(throws: LegacyStoragePath.Failure.empty) { try LegacyStoragePath("  ", bucket: nil) }
        #expect(throws: LegacyStoragePath.Failure.empty) { try LegacyStoragePath("/", bucket: nil) }
        #expect(throws: LegacyStoragePath.Failure.notAStorageURL("https://cdn.example/a.mp3")) {
            try LegacyStoragePath("https://cdn.example/a.mp3", bucket: nil)
        }
    }

    // MARK: Timestamps

    @Test(arguments: [
        ("2024-03-01", 1_709_251_200.0),
        ("2024-03-01 12:00:00+00", 1_709_294_400.0),
        ("2024-03-01T12:00:00Z", 1_709_294_400.0),
        ("2024-03-01T12:00:00.5Z", 1_709_294_400.5),
        ("2024-03-01T14:00:00+02:00", 1_709_294_400.0),
        ("2024-03-01T10:30:00-0130", 1_709_294_400.0),
        ("2024-03-01 12:00", 1_709_294_400.0),
        ("2000-02-29T00:00:00Z", 951_782_400.0),
        ("1970-01-01T00:00:00Z", 0.0),
        ("1709294400", 1_709_294_400.0),
        ("1709294400000", 1_709_294_400.0),
        ("1709294400.25", 1_709_294_400.25),
    ])
    func timestampsReadAsExportsPrintThem(text: String, seconds: Double) {
        #expect(LegacyTimestamp.secondsSince1970(text) == seconds)
    }

    @Test func unreadableTimestampsAreNil() {
        for text in [
            "", "yesterday", "2024-13-01", "2023-02-29", "2024-03-01T25:00:00Z", "2024-03-01T12:00:00Zjunk",
            "2024-03-01T12:00:00+2", "2024-03-01T12:00:00.", "-5", "2024-3-1",
        ] {
            #expect(LegacyTimestamp.secondsSince1970(text) == nil, "\(text)")
        }
    }

    // MARK: Rows

    static func row(_ values: [LegacyField: SQLiteDatabase.Value]) -> LegacyRow {
        var all: [LegacyField: SQLiteDatabase.Value] = [
            .text: .text("Hello there."), .voiceId: .text("voice1"), .model: .text("eleven_multilingual_v2"),
            .speakingRate: .real(0.9), .format: .text("mp3_44100_128"), .bookId: .text("book-1"),
            .chapterId: .text("ch-1"), .storagePath: .text("book-1/x.mp3"), .createdAt: .text("2024-03-01T12:00:00Z"),
        ]
        for (field, value) in values { all[field] = value }
        return LegacyRow(rowId: 7, values: all)
    }

    @Test func aRowIsTheRequestItWasWithItsOldKey() throws {
        let plan = try LegacyRowPlan(Self.row([:]), bucket: nil, maximumTextCharacters: 200_000)
        let spec = try SpeechSpec(
            text: "Hello there.", voiceId: "voice1", modelId: "eleven_multilingual_v2",
            outputFormat: "mp3_44100_128", voiceSettings: try VoiceSettings(speed: 0.9))
        #expect(plan.contentHash == spec.contentHash)
        #expect(
            plan.legacyKey
                == LegacyContentHash.compute(
                    text: "Hello there.", voiceId: "voice1", model: "eleven_multilingual_v2",
                    speakingRate: 0.9, format: "mp3_44100_128"))
        #expect(plan.bookId == .book("book-1"))
        #expect(plan.chapterId == "ch-1")
        #expect(plan.audioPath.description == "book-1/x.mp3")
        #expect(plan.createdAt == 1_709_294_400)
        #expect(plan.rowId == 7)
    }

    @Test func absentOptionalFieldsTakeTheirDefaults() throws {
        let plan = try LegacyRowPlan(
            Self.row([
                .model: .null, .speakingRate: .null, .format: .text("mp3"),
                .createdAt: .null, .chapterId: .null,
            ]), bucket: nil, maximumTextCharacters: 200_000)
        #expect(plan.contentHash == (try SpeechSpec(text: "Hello there.", voiceId: "voice1")).contentHash)
        #expect(
            plan.legacyKey == LegacyContentHash.compute(text: "Hello there.", voiceId: "voice1", model: "", speakingRate: 1, format: "mp3"))
        #expect(plan.createdAt == nil)
        #expect(plan.chapterId == nil)
        // A rate stored as text and a time stored as a number read too.
        let textual = try LegacyRowPlan(
            Self.row([.speakingRate: .text(" 0.9 "), .createdAt: .integer(1_709_294_400_000)]), bucket: nil, maximumTextCharacters: 200_000)
        #expect(textual.contentHash == (try LegacyRowPlan(Self.row([:]), bucket: nil, maximumTextCharacters: 200_000)).contentHash)
        #expect(textual.createdAt == 1_709_294_400)
    }

    @Test(
        arguments: [
            ([LegacyField.text: SQLiteDatabase.Value.text(" \n ")], "empty_text"),
            ([.text: .null], "empty_text"),
            ([.voiceId: .null], "invalid_voice_id"),
            ([.voiceId: .text("bad voice")], "invalid_voice_id"),
            ([.model: .text("no spaces allowed")], "invalid_model_id"),
            ([.format: .text("pcm_16000")], "unsupported_format"),
            ([.format: .text("wav")], "unsupported_format"),
            ([.speakingRate: .text("fast")], "invalid_speaking_rate"),
            ([.speakingRate: .real(3)], "setting_out_of_range"),
            ([.bookId: .null], "invalid_book_id"),
            ([.bookId: .text("a/b")], "invalid_book_id"),
            ([.storagePath: .null], "invalid_storage_path"),
            ([.storagePath: .text("../x.mp3")], "invalid_storage_path"),
            ([.createdAt: .text("last tuesday")], "invalid_created_at"),
            // What the voice API refuses is not imported either: text over the limit, and NUL in text or path.
            ([.text: .text(String(repeating: "a", count: 200_001))], "text_too_long"),
            ([.text: .text("Chapter\u{0}one.")], "invalid_text"),
            ([.storagePath: .text("book-1/a\u{0}b.mp3")], "invalid_storage_path"),
            ([.storagePath: .text("https://x.supabase.co/storage/v1/object/public/audio/book-1/a%00b.mp3")], "invalid_storage_path"),
        ] as [([LegacyField: SQLiteDatabase.Value], String)])
    func rowsThatCannotBeImportedSayWhy(values: [LegacyField: SQLiteDatabase.Value], code: String) {
        #expect(throws: LegacyRowPlan.Rejection.self) { try LegacyRowPlan(Self.row(values), bucket: nil, maximumTextCharacters: 200_000) }
        if case let .failure(rejection) = LegacyRowPlan.make(Self.row(values), bucket: nil, maximumTextCharacters: 200_000) {
            #expect(rejection.code == code)
            #expect(!rejection.message.isEmpty)
        }
    }
}
