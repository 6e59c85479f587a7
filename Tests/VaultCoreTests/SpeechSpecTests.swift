import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct SpeechSpecTests {
    @Test(arguments: [
        ("", "empty"), ("   \n\t ", "whitespace only"), ("\u{00A0}\u{3000}", "unicode spaces only"),
    ])
    func blankTextIsRejected(text: String, _: String) {
        #expect(throws: SpeechSpecError.emptyText) { try SpeechSpec(text: text, voiceId: "v") }
    }

    @Test func textOverTheLimitIsRejected() {
        #expect(throws: SpeechSpecError.textTooLong(characters: 11, limit: 10)) {
            try SpeechSpec(text: "hello world", voiceId: "v", maximumTextLength: 10)
        }
        #expect(throws: Never.self) { try SpeechSpec(text: "hello worl", voiceId: "v", maximumTextLength: 10) }
    }

    @Test(arguments: ["", "has space", "a/b", String(repeating: "x", count: 65), "é"])
    func badVoiceIdsAreRejected(voice: String) {
        #expect(throws: SpeechSpecError.invalidVoiceId(voice)) { try SpeechSpec(text: "hi", voiceId: voice) }
    }

    @Test func badModelAndFormatAreRejected() {
        #expect(throws: SpeechSpecError.invalidModelId("bad model")) {
            try SpeechSpec(text: "hi", voiceId: "v", modelId: "bad model")
        }
        #expect(throws: SpeechSpecError.unknownOutputFormat("mp3_1_1")) {
            try SpeechSpec(text: "hi", voiceId: "v", outputFormat: "mp3_1_1")
        }
    }

    @Test(arguments: ["e", "engl", "e1", "ñe"])
    func badLanguageCodesAreRejected(code: String) {
        #expect(throws: SpeechSpecError.invalidLanguageCode(code)) {
            try SpeechSpec(text: "hi", voiceId: "v", languageCode: code)
        }
    }

    @Test func seedRange() {
        #expect(throws: SpeechSpecError.seedOutOfRange(-1)) { try SpeechSpec(text: "hi", voiceId: "v", seed: -1) }
        #expect(throws: SpeechSpecError.seedOutOfRange(4_294_967_296)) {
            try SpeechSpec(text: "hi", voiceId: "v", seed: 4_294_967_296)
        }
    }

    @Test func settingsRanges() {
        #expect(throws: SpeechSpecError.self) { try VoiceSettings(stability: 1.01) }
        #expect(throws: SpeechSpecError.self) { try VoiceSettings(similarityBoost: -0.1) }
        #expect(throws: SpeechSpecError.self) { try VoiceSettings(style: .nan) }
        #expect(throws: SpeechSpecError.self) { try VoiceSettings(speed: 0.69) }
        #expect(throws: SpeechSpecError.self) { try VoiceSettings(speed: .infinity) }
        #expect(throws: Never.self) { try VoiceSettings(stability: 0, similarityBoost: 1, style: 1, speed: 1.2) }
    }

    @Test func settingsQuantiseToTenThousandths() throws {
        #expect(try VoiceSettings(stability: 0.12345).stabilityE4 == 1235)  // half away from zero
        #expect(try VoiceSettings(stability: -0.0).stabilityE4 == 0)
        #expect(try VoiceSettings(speed: 1.1).speedE4 == 11000)
        #expect(VoiceSettings.decimalString(5000) == "0.5000")
        #expect(VoiceSettings.decimalString(10000) == "1.0000")
        #expect(VoiceSettings.decimalString(7) == "0.0007")
        #expect(try VoiceSettings() == VoiceSettings.defaults)
    }

    @Test func fieldsThatDoNotShapeAudioAreNotInTheHash() throws {
        // The encoding names exactly these fields, in this order, and nothing else.
        let spec = try SpeechSpec(text: "hi", voiceId: "v")
        let names = String(decoding: spec.canonicalEncoding, as: UTF8.self).split(separator: "\n").dropFirst()
            .map { line in String(line.prefix { $0 != "=" && $0 != "!" }) }
        #expect(
            names == [
                "text", "voice_id", "model_id", "output_format", "language_code", "seed", "stability",
                "similarity_boost", "style", "use_speaker_boost", "speed", "previous_text", "next_text",
            ])
    }

    @Test func lengthPrefixingKeepsFieldBoundariesApart() throws {
        let a = try SpeechSpec(text: "ab", voiceId: "c", previousText: "x")
        let b = try SpeechSpec(text: "a", voiceId: "bc", previousText: "x")
        let c = try SpeechSpec(text: "ab", voiceId: "c", nextText: "x")
        #expect(Set([a.contentHash, b.contentHash, c.contentHash]).count == 3)
    }
}

@Suite struct CanonicalTextTests {
    @Test(arguments: [
        ("Hello", "Hello"),
        ("  Hello  ", "Hello"),
        ("a  b", "a b"),
        ("a\t\tb", "a b"),
        ("a \n b", "a\nb"),
        ("a\n\n\n\nb", "a\n\nb"),
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\r\n\r\nb", "a\n\nb"),
        ("a\u{2028}b", "a\nb"),
        ("a\u{00A0}b", "a b"),
        ("a\u{200B}b", "a\u{200B}b"),  // zero-width space is not whitespace: kept
        ("e\u{301}", "\u{E9}"),
        ("\n\nTitle\n\n", "Title"),
    ])
    func normalises(input: String, expected: String) {
        #expect(CanonicalText.normalize(input) == expected)
    }

    @Test func isIdempotent() {
        for text in ["  a \r\n\r\n b\u{3000}c ", "e\u{301}\u{2029}x", "plain"] {
            let once = CanonicalText.normalize(text)
            #expect(CanonicalText.normalize(once) == once)
        }
    }
}

@Suite struct TextStatisticsTests {
    @Test(arguments: [
        ("Hello, world.", 2, 13), ("One — two", 2, 9), ("", 0, 0), ("ü 📚 7", 2, 5), ("a\nb\n\nc", 3, 6),
    ])
    func counts(text: String, words: Int, characters: Int) {
        let stats = TextStatistics(canonicalText: text)
        #expect(stats.wordCount == words)
        #expect(stats.characterCount == characters)
    }
}

/// Issue 10 item 2: text is refused for its shape before anything normalises it, and cheap fields are
/// checked before the text at all.
@Suite struct StreamSafeTextTests {
    static func marks(_ count: Int) -> String {
        "a" + String(repeating: "\u{301}\u{316}", count: count / 2) + (count % 2 == 1 ? "\u{301}" : "")
    }

    @Test func thirtyCombiningMarksInARowAreTextMoreAreNot() throws {
        #expect(CanonicalText.longestNonStarterRun(Self.marks(30), exceeding: 30) == nil)
        #expect(CanonicalText.longestNonStarterRun(Self.marks(31), exceeding: 30) == 31)
        // Counted only up to the limit: a run of 200,000 costs what a run of 31 does past the first 31 scalars.
        #expect(CanonicalText.longestNonStarterRun(Self.marks(200_000), exceeding: 30) == 31)
        // Starters reset the run: many marks in total, few in a row.
        #expect(CanonicalText.longestNonStarterRun(String(repeating: Self.marks(30) + " ", count: 1_000), exceeding: 30) == nil)
        _ = try SpeechSpec(text: Self.marks(30), voiceId: "v")
        #expect(throws: SpeechSpecError.textNotStreamSafe(field: "text", run: 31)) {
            try SpeechSpec(text: Self.marks(200_000), voiceId: "v")
        }
        #expect(throws: SpeechSpecError.textNotStreamSafe(field: "nextText", run: 31)) {
            try SpeechSpec(text: "fine", voiceId: "v", nextText: Self.marks(31))
        }
    }

    @Test func aNulCharacterIsRefusedInTextAndContext() {
        #expect(throws: SpeechSpecError.textContainsNul(field: "text")) { try SpeechSpec(text: "one\u{0}two", voiceId: "v") }
        #expect(throws: SpeechSpecError.textContainsNul(field: "previousText")) {
            try SpeechSpec(text: "fine", voiceId: "v", previousText: "\u{0}")
        }
        #expect(SpeechSpecError.textContainsNul(field: "text").code == "invalid_text")
    }

    @Test func contextFieldsHaveTheirOwnLimit() throws {
        let limit = SpeechSpec.maximumContextCharacters
        _ = try SpeechSpec(text: "fine", voiceId: "v", previousText: String(repeating: "x", count: limit))
        #expect(throws: SpeechSpecError.contextTooLong(field: "previousText", characters: limit + 1, limit: limit)) {
            try SpeechSpec(text: "fine", voiceId: "v", previousText: String(repeating: "x", count: limit + 1))
        }
    }

    @Test func cheapFieldsAreCheckedBeforeTheText() {
        let hostile = Self.marks(200_000)
        #expect(throws: SpeechSpecError.invalidVoiceId("bad id")) { try SpeechSpec(text: hostile, voiceId: "bad id") }
        #expect(throws: SpeechSpecError.invalidModelId("m/x")) { try SpeechSpec(text: hostile, voiceId: "v", modelId: "m/x") }
        #expect(throws: SpeechSpecError.unknownOutputFormat("wav")) { try SpeechSpec(text: hostile, voiceId: "v", outputFormat: "wav") }
        #expect(throws: SpeechSpecError.seedOutOfRange(-1)) { try SpeechSpec(text: hostile, voiceId: "v", seed: -1) }
    }
}
