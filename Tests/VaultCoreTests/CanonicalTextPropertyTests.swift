import Foundation
import Testing
@testable import VaultCore

/// The one-pass byte canonicaliser held against the scalar implementation it replaced, as the oracle, on
/// random Unicode text: whitespace of every kind, CR LF, combining marks, emoji, scripts that compose.
@Suite struct CanonicalTextPropertyTests {
    /// The previous implementation, kept verbatim as the oracle: NFC, then CR LF folded, then scalar by scalar
    /// against the two sets.
    static func oracle(_ text: String) -> String {
        let nfc = nfcNormalized(text)
        var output = String.UnicodeScalarView()
        var pendingNewlines = 0
        var inWhitespaceRun = false
        var scalars = Array(nfc.unicodeScalars)
        var folded = [Unicode.Scalar]()
        var i = 0
        while i < scalars.count {
            if scalars[i].value == 0x0D, i + 1 < scalars.count, scalars[i + 1].value == 0x0A {
                folded.append("\n")
                i += 2
                continue
            }
            folded.append(scalars[i])
            i += 1
        }
        scalars = folded
        for scalar in scalars {
            let value = scalar.value
            if CanonicalText.lineBreaks.contains(value) {
                inWhitespaceRun = true
                pendingNewlines += 1
            } else if CanonicalText.horizontalWhitespace.contains(value) {
                inWhitespaceRun = true
            } else {
                if inWhitespaceRun, !output.isEmpty {
                    switch pendingNewlines {
                    case 0: output.append(" ")
                    case 1: output.append("\n")
                    default:
                        output.append("\n")
                        output.append("\n")
                    }
                }
                inWhitespaceRun = false
                pendingNewlines = 0
                output.append(scalar)
            }
        }
        return String(output)
    }

    /// Pieces random text is made of: every whitespace and line break of the rule, their near neighbours in
    /// UTF-8 (U+2027, U+200B, U+205E, U+3001, U+1681), and text that NFC changes.
    static let pieces: [String] = {
        var list = [
            "a", "Z", "0", ".", ",", "\u{0}", "\u{7F}", "é", "e\u{301}", "o\u{308}\u{301}", "\u{301}", "\u{1100}\u{1161}",
            "한", "日本", "שלום", "مرحبا", "👩‍💻", "🏳️‍🌈", "\u{200B}", "\u{200D}", "\u{FEFF}", "\u{2027}", "\u{205E}",
            "\u{3001}", "\u{1681}", "\u{20AC}", "\u{10FFFF}", "\u{E000}", "\r\n", "\r", "\n", "\u{C2}",
        ]
        list += CanonicalText.horizontalWhitespace.sorted().map { String(Character(Unicode.Scalar($0)!)) }
        list += CanonicalText.lineBreaks.sorted().map { String(Character(Unicode.Scalar($0)!)) }
        return list
    }()

    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    @Test func agreesWithTheScalarImplementationOnRandomText() {
        var generator = SeededGenerator(state: 20_261_130)
        for round in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &generator)
            let text = (0..<length).map { _ in Self.pieces.randomElement(using: &generator)! }.joined()
            let fast = CanonicalText.normalize(text)
            let expected = Self.oracle(text)
            #expect(fast == expected, "round \(round): \(Array(text.unicodeScalars.map(\.value)))")
            if fast != expected { return }
            // And it is idempotent, as canonical text must be.
            #expect(CanonicalText.normalize(fast) == fast)
        }
    }

    @Test func agreesOnEveryHashVectorAndLongText() throws {
        let long = String(repeating: "The quick brown fox, \u{A0}jumps\r\n over the lazy dog.\u{2029} 🦊 ", count: 2000)
        #expect(CanonicalText.normalize(long) == Self.oracle(long))
        #expect(CanonicalText.normalize("") == "")
        #expect(CanonicalText.normalize(" \u{3000}\r\n\t") == "")
    }
}

/// The NFC quick check may only ever skip Foundation for text Foundation would leave unchanged.
@Suite struct NFCQuickCheckTests {
    @Test func everyStableScalarIsLeftAloneByNFCInAnyContext() {
        var secondParts = Set<UInt32>()
        for value in UInt32(0)..<0x3_0000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let decomposed = String(Character(scalar)).decomposedStringWithCanonicalMapping.unicodeScalars.map(\.value)
            if decomposed.count > 1 { secondParts.formUnion(decomposed.dropFirst()) }
        }
        for range in NFCQuickCheck.stableRanges {
            for value in range {
                guard let scalar = Unicode.Scalar(value) else { continue }
                let alone = String(Character(scalar))
                #expect(alone.precomposedStringWithCanonicalMapping == alone, "U+\(String(value, radix: 16)) changes under NFC")
                #expect(scalar.properties.canonicalCombiningClass == .notReordered, "U+\(String(value, radix: 16)) is a combining mark")
                #expect(!secondParts.contains(value), "U+\(String(value, radix: 16)) can compose with what precedes it")
            }
        }
    }

    @Test func theQuickCheckAgreesWithFoundationOnRandomText() {
        var generator = CanonicalTextPropertyTests.SeededGenerator(state: 7)
        let pieces =
            CanonicalTextPropertyTests.pieces + [
                "“", "”", "—", "…", "€", "Й", "и\u{306}", "カ\u{3099}", "ガ", "\u{1161}",
                "가", "\u{11A8}", "Ω", "\u{2126}", "ｱ", "\u{302A}",
            ]
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(nfcNormalized(text) == text.precomposedStringWithCanonicalMapping, "\(Array(text.unicodeScalars.map(\.value)))")
        }
        #expect(NFCQuickCheck.isComposed("“Quoted” — and so on… €5"))
        #expect(!NFCQuickCheck.isComposed("e\u{301}"))
    }
}
