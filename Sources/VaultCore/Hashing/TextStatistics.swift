/// Counts recorded with every asset: what the text weighs, for accounting and for estimating listening time.
public struct TextStatistics: Sendable, Equatable {
    /// Unicode scalars in the canonical text: the unit ElevenLabs bills by.
    public let characterCount: Int
    /// Whitespace-separated runs that contain at least one letter or digit ("—" alone is not a word).
    public let wordCount: Int

    public init(canonicalText text: String) {
        characterCount = text.unicodeScalars.count
        var words = 0
        var inWord = false
        var wordHasContent = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                if inWord, wordHasContent { words += 1 }
                inWord = false
                wordHasContent = false
            } else {
                inWord = true
                if scalar.properties.isAlphabetic || scalar.properties.numericType != nil { wordHasContent = true }
            }
        }
        if inWord, wordHasContent { words += 1 }
        wordCount = words
    }
}
