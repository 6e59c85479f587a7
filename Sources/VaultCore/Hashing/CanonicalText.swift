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

    public static func normalize(_ text: String) -> String {
        let nfc = nfcNormalized(text)
        var output = String.UnicodeScalarView()
        var pendingNewlines = 0
        var inWhitespaceRun = false
        var scalars = Array(nfc.unicodeScalars)
        // Fold CR LF into a single break before classifying.
        var folded = [Unicode.Scalar]()
        folded.reserveCapacity(scalars.count)
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
            if lineBreaks.contains(value) {
                inWhitespaceRun = true
                pendingNewlines += 1
            } else if horizontalWhitespace.contains(value) {
                inWhitespaceRun = true
            } else {
                if inWhitespaceRun, !output.isEmpty {
                    switch pendingNewlines {
                    case 0: output.append(" ")
                    case 1: output.append("\n")
                    default: output.append("\n"); output.append("\n")
                    }
                }
                inWhitespaceRun = false
                pendingNewlines = 0
                output.append(scalar)
            }
        }
        return String(output)
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
