/// The text normalisation applied before hashing and before sending text upstream.
///
/// Whatever we hash is exactly what we send to ElevenLabs, so a normalisation can never make the cache serve
/// audio that does not match the request; it can only make more requests share one generation. The rule
/// (Docs/HASHING.md) is:
///  1. Unicode NFC, so precomposed and decomposed spellings of the same text share audio.
///  2. CR LF, CR, U+0085, U+2028 and U+2029 become LF.
///  3. Every maximal run of whitespace (the horizontal set below plus LF) becomes one space if it has no LF,
///     one LF if it has exactly one, and two LFs if it has more: paragraph breaks survive (they shape pauses),
///     indentation and double spaces do not (they do not).
///  4. Leading and trailing whitespace runs are removed.
public enum CanonicalText {
    /// Horizontal whitespace: Unicode White_Space minus the line breaks, listed explicitly so that other
    /// implementations (Scripts/make-hash-vectors.py) can agree byte for byte.
    static let horizontalWhitespace: Set<UInt32> = [
        0x09, 0x0B, 0x0C, 0x20, 0xA0, 0x1680,
        0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
        0x202F, 0x205F, 0x3000,
    ]
    static let lineBreaks: Set<UInt32> = [0x0A, 0x0D, 0x85, 0x2028, 0x2029]

    /// One pass over the UTF-8 bytes of the NFC text: ASCII bytes are classified with one comparison or
    /// two, multi-byte sequences are decoded only to be checked against the few non-ASCII whitespace and
    /// line-break scalars, and content is copied as bytes. Linear in the text's length whatever it holds (text
    /// that is not stream-safe, which would make NFC superlinear, is refused before it gets here).
    public static func normalize(_ text: String) -> String {
        var nfc = nfcNormalized(text)
        return nfc.withUTF8 { normalize(utf8: $0) }
    }

    /// What a byte sequence starting at some offset is to the whitespace rule.
    enum Kind: Equatable {
        case content
        case horizontal
        case lineBreak
        /// CR immediately followed by LF: one break, two bytes.
        case crlf
    }

    static func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String {
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        var pendingNewlines = 0
        var inWhitespaceRun = false
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            let length: Int
            let kind: Kind
            if lead < 0x80 {
                length = 1
                switch lead {
                case 0x0A: kind = .lineBreak
                case 0x0D: kind = index + 1 < count && bytes[index + 1] == 0x0A ? .crlf : .lineBreak
                case 0x09, 0x0B, 0x0C, 0x20: kind = .horizontal
                default: kind = .content
                }
            } else {
                length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                kind = classify(bytes, at: index, length: length)
            }
            switch kind {
            case .lineBreak, .crlf:
                inWhitespaceRun = true
                pendingNewlines += 1
            case .horizontal:
                inWhitespaceRun = true
            case .content:
                if inWhitespaceRun, !output.isEmpty {
                    switch pendingNewlines {
                    case 0: output.append(0x20)
                    case 1: output.append(0x0A)
                    default:
                        output.append(0x0A)
                        output.append(0x0A)
                    }
                }
                inWhitespaceRun = false
                pendingNewlines = 0
                if length == 1 {
                    output.append(lead)
                } else {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<min(index + length, count)]))
                }
            }
            index += kind == .crlf ? 2 : length
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The kind of the multi-byte scalar at `index`: the non-ASCII members of `lineBreaks` and
    /// `horizontalWhitespace` (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000)
    /// spelled as UTF-8, everything else content.
    static func classify(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, length: Int) -> Kind {
        guard index + length <= bytes.count else { return .content }
        let lead = bytes[index]
        switch length {
        case 2:
            guard lead == 0xC2 else { return .content }
            switch bytes[index + 1] {
            case 0x85: return .lineBreak
            case 0xA0: return .horizontal
            default: return .content
            }
        case 3:
            let second = bytes[index + 1]
            let third = bytes[index + 2]
            switch (lead, second) {
            case (0xE1, 0x9A): return third == 0x80 ? .horizontal : .content
            case (0xE2, 0x80):
                switch third {
                case 0x80...0x8A, 0xAF: return .horizontal
                case 0xA8, 0xA9: return .lineBreak
                default: return .content
                }
            case (0xE2, 0x81): return third == 0x9F ? .horizontal : .content
            case (0xE3, 0x80): return third == 0x80 ? .horizontal : .content
            default: return .content
            }
        default:
            return .content
        }
    }

    /// UAX #15's Stream-Safe Text Format: no more than 30 non-starters in a row. Real text never comes close
    /// (the longest in Unicode's own test data is about 20); unbounded runs are what make normalisation
    /// superlinear, so text beyond this is refused before it is normalised.
    public static let streamSafeNonStarterLimit = 30

    /// The length of the first run of non-starters (canonical combining class other than 0) longer than
    /// `limit`, counted only up to `limit + 1`; nil when there is none. One pass over the scalars; below
    /// U+0300 every scalar is a starter, so ordinary text costs one comparison per scalar.
    public static func longestNonStarterRun(_ text: String, exceeding limit: Int) -> Int? {
        var run = 0
        for scalar in text.unicodeScalars {
            if scalar.value < 0x300 || scalar.properties.canonicalCombiningClass.rawValue == 0 {
                run = 0
                continue
            }
            run += 1
            if run > limit { return run }
        }
        return nil
    }

    /// True when the text has nothing left to speak after normalisation.
    public static func isBlank(_ text: String) -> Bool {
        normalize(text).isEmpty
    }
}
