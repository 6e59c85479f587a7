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
        #expect(TextChunker(limit: 30).split("First paragraph here\n\nSecond one is here") == ["First paragraph here", "Second one is here"])
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
        #expect(TextChunker(limit: 50).chunks("Short.", previousText: nil, nextText: nil)
                == [.init(text: "Short.", previousText: nil, nextText: nil)])
    }

    @Test func modelLimits() {
        #expect(ModelLimits.maximumCharacters(model: "eleven_multilingual_v2") == 10_000)
        #expect(ModelLimits.maximumCharacters(model: "eleven_flash_v2_5") == 40_000)
        #expect(ModelLimits.maximumCharacters(model: "eleven_v3") == 3_000)
        #expect(ModelLimits.maximumCharacters(model: "something_new") == 3_000)
    }
}

@Suite struct MP3ConcatenatorTests {
    @Test func joinsFramesWithOneXingHeaderInFront() throws {
        let id3: [UInt8] = Array("ID3".utf8) + [3, 0, 0, 0, 0, 0, 10] + [UInt8](repeating: 0, count: 10)
        let pieces = [
            id3 + SilentMP3.make(frames: 40, xingHeader: true, seed: 1),
            SilentMP3.make(frames: 25, xingHeader: true, seed: 2) + Array("TAG".utf8) + [UInt8](repeating: 32, count: 125),
            SilentMP3.make(frames: 10, seed: 3),
        ]
        let joined = try MP3Concatenator.join(pieces)
        let info = try MP3Inspector.inspect(joined)
        #expect(info.audioFrameCount == 75)
        #expect(info.durationSource == .xingHeader)
        #expect(abs(info.durationSeconds - 75 * 1152 / 44_100.0) < 1e-9)
        #expect(info.id3v2Length == 0)
        #expect(info.trailingTagLength == 0)
        // No tag of any kind after the leading Xing frame.
        let body = Array(joined[info.audioOffset...])
        for marker in ["ID3", "Xing", "Info", "TAG"] {
            let pattern = Array(marker.utf8)
            let found = (0...(body.count - pattern.count)).contains { body[$0..<($0 + pattern.count)].elementsEqual(pattern) }
            #expect(!found, "\(marker) inside the joined audio")
        }
    }

    @Test func realEncoderPiecesJoinWithTheirDurationsAdded() throws {
        let piece = try FileSystem.readFile(TestPaths.fixture("speech-vbr-xing.mp3"))
        let single = try MP3Inspector.inspect(piece)
        let joined = try MP3Inspector.inspect(try MP3Concatenator.join([piece, piece, piece]))
        #expect(joined.audioFrameCount == single.audioFrameCount * 3)
        #expect(abs(joined.durationSeconds - Double(single.audioFrameCount * 3 * 576) / 22_050) < 1e-9)
    }

    @Test func refusesBrokenOrMismatchedPieces() throws {
        #expect(throws: MP3Concatenator.Failure.noPieces) { _ = try MP3Concatenator.join([]) }
        #expect(throws: MP3Concatenator.Failure.self) { _ = try MP3Concatenator.join([SilentMP3.make(frames: 3), Array("junk".utf8)]) }
        let other = try FileSystem.readFile(TestPaths.fixture("speech-mpeg2-mono-noxing.mp3"))
        #expect(throws: MP3Concatenator.Failure.mismatchedFormat(index: 1)) {
            _ = try MP3Concatenator.join([SilentMP3.make(frames: 3), other])
        }
    }
}
