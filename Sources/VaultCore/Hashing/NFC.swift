import Foundation

/// Canonical composition (NFC). Foundation's implementation is the one Swift ships on every platform; it is
/// skipped when a quick check proves the text is already NFC, which most chapter text is.
func nfcNormalized(_ text: String) -> String {
    if NFCQuickCheck.isComposed(text) { return text }
    return text.precomposedStringWithCanonicalMapping
}

/// A conservative form of UAX #15's NFC quick check: true only when every scalar is one that NFC leaves as it
/// is in any context: its own NFC, combining class 0, and never the second part of a canonical
/// decomposition (so nothing before it can compose with it). Text of such scalars is NFC whatever their
/// order. The ranges cover what chapters are written in (Latin and its punctuation, quotes, dashes, ellipses
/// and currency, Cyrillic, CJK and kana, Hangul syllables, full-width forms); any other scalar (a combining
/// mark, Greek, a conjoining jamo) sends the text to Foundation. Every scalar in these ranges is checked
/// against Swift's own Unicode data by the tests.
enum NFCQuickCheck {
    static let stableRanges: [ClosedRange<UInt32>] = [
        0x0000...0x02FF, 0x0400...0x0482, 0x048A...0x052F, 0x2010...0x205E, 0x20A0...0x20BF, 0x3000...0x3029,
        0x3030...0x303F, 0x3041...0x3096, 0x30A1...0x30FA, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0xFF01...0xFF5E,
    ]

    static func isComposed(_ text: String) -> Bool {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return true }
        return text.unicodeScalars.allSatisfy { isStable($0.value) }
    }

    static func isStable(_ value: UInt32) -> Bool {
        if value < 0x300 { return true }
        for range in stableRanges where range.contains(value) { return true }
        return false
    }
}
