import Testing
@testable import VaultCore

/// Text positions to times and back, on the start of a word.
@Suite struct PositionTimingTests {
    /// "ab cd  ef": each character 100 ms, the first starting at `offset`.
    static func alignment(_ text: String = "ab cd  ef", offset: UInt32 = 0, step: UInt32 = 100) -> SpeechAlignment {
        SpeechAlignment(
            characters: text.unicodeScalars.enumerated().map { index, scalar in
                .init(
                    text: String(scalar), startMilliseconds: offset + UInt32(index) * step,
                    endMilliseconds: offset + UInt32(index + 1) * step)
            })
    }

    @Test(arguments: [(0, 0), (1, 0), (2, 300), (3, 300), (4, 300), (5, 700), (6, 700), (7, 700), (8, 700), (9, 700), (500, 700), (-3, 0)])
    func aCharacterIsHeardFromItsWordsStart(_ character: Int, _ milliseconds: Int) {
        #expect(PositionTiming.milliseconds(ofCharacter: character, in: Self.alignment()) == UInt32(milliseconds))
    }

    /// A pause between words (a space being "spoken") belongs to the word after it: it was heard whole.
    @Test(arguments: [(0, 0), (99, 0), (150, 0), (250, 3), (300, 3), (450, 3), (520, 7), (650, 7), (700, 7), (5_000, 7)])
    func aTimeIsTheStartOfTheWordBeingSpoken(_ milliseconds: Int, _ character: Int) {
        #expect(PositionTiming.character(atMilliseconds: UInt32(milliseconds), in: Self.alignment()) == character)
    }

    @Test func aPositionSurvivesAChangeOfRendition() {
        // The same text at another speed, starting later: every character maps to the same word in both.
        let slow = Self.alignment()
        let fast = Self.alignment(offset: 40, step: 55)
        for character in 0..<9 {
            let there = PositionTiming.milliseconds(ofCharacter: character, in: fast) ?? 0
            let back = PositionTiming.character(atMilliseconds: there, in: fast)
            #expect(
                back
                    == PositionTiming.character(
                        atMilliseconds: PositionTiming.milliseconds(ofCharacter: character, in: slow) ?? 0, in: slow))
        }
    }

    @Test func anEmptyAlignmentHasNoTimes() {
        #expect(PositionTiming.milliseconds(ofCharacter: 0, in: SpeechAlignment()) == nil)
        #expect(PositionTiming.character(atMilliseconds: 100, in: SpeechAlignment()) == 0)
        #expect(PositionTiming.milliseconds(ofCharacter: 2, in: Self.alignment("   ")) == 200)
    }
}
