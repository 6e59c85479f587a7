import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct TextChunkerTests {
    @Test func shortTextIsOnePiece() {
        #expect(TextChunker(limit: 100).split("Hello there.") == ["Hello there."])
    }

    @Test func cutsAtTheLastSentenceEndThatFits() {
        let text = "One two three. Four five six. Seven eight nine."
        #expect(TextChunker(limit: 32).split(text) == ["One two three. Four five six.", "Seven eight nine."])
    }

    @Test func fallsBackToClausesThenWordsThenAnywhere() {
        #expect(TextChunker(limit: 20).split("alpha beta, gamma delta epsilon") == ["alpha beta,", "gamma delta epsilon"])
        #expect(TextChunker(limit: 12).split("alpha beta gamma delta") == ["alpha beta", "gamma delta"])
        #expect(TextChunker(limit: 4).split("abcdefghij") == ["abcd", "efgh", "ij"])
    }

    @Test func paragraphsAreSentenceBoundariesAndQuotesStayWithTheirSentence() {
        #expect(
            TextChunker(limit: 30).split("First paragraph here\n\nSecond one is here") == ["First paragraph here", "Second one is here"])
        #expect(TextChunker(limit: 24).split("He said \"stop.\" Then he left.") == ["He said \"stop.\"", "Then he left."])
        #expect(TextChunker(limit: 8).split("今日は。世界。元気です。") == ["今日は。世界。", "元気です。"])
    }

    @Test func everyPieceFitsAndNothingIsLost() throws {
        var generator = SystemRandomNumberGenerator()
        let words = ["a", "tale", "of", "two", "cities,", "it", "was.", "the", "best;", "times!", "worst?", "\n\n", "é🦊"]
        for _ in 0..<200 {
            let raw = (0..<Int.random(in: 1...400, using: &generator)).map { _ in words.randomElement(using: &generator)! }
                .joined(separator: " ")
            let text = CanonicalText.normalize(raw)
            guard !text.isEmpty else { continue }
            let limit = Int.random(in: 5...120, using: &generator)
            let pieces = TextChunker(limit: limit).split(text)
            #expect(pieces.allSatisfy { !$0.isEmpty && $0.unicodeScalars.count <= limit })
            let spoken = { (s: String) in s.unicodeScalars.filter { $0 != " " && $0 != "\n" }.map(String.init).joined() }
            #expect(spoken(pieces.joined()) == spoken(text))
        }
    }

    @Test func chunksCarryTheirNeighboursAsContext() {
        let chunks = TextChunker(limit: 15, contextLength: 8).chunks(
            "One sentence. Two sentence. Three.", previousText: "Before", nextText: "After")
        #expect(chunks.map(\.text) == ["One sentence.", "Two sentence.", "Three."])
        #expect(chunks[0].previousText == "Before")
        #expect(chunks[0].nextText == "Two sent")
        #expect(chunks[1].previousText == "entence.")
        #expect(chunks[2].nextText == "After")
        #expect(
            TextChunker(limit: 50).chunks("Short.", previousText: nil, nextText: nil)
                == [.init(text: "Short.", previousText: nil, nextText: nil)])
    }

    @Test func modelLimits() {
        #expect(ModelLimits.maximumCharacters(model: "eleven_multilingual_v2") == 10_000)
        #expect(ModelLimits.maximumCharacters(model: "eleven_flash_v2_5") == 40_000)
        #expect(ModelLimits.maximumCharacters(model: "eleven_v3") == 3_000)
        #expect(ModelLimits.maximumCharacters(model: "something_new") == 3_000)
    }
}
