/// Positions as text and times in one rendition, through its stored timings (`SpeechAlignment`, one entry per
/// Unicode scalar of the chapter's text). Both directions land on the start of a word, so a listener who
/// switches voice, speed or model resumes at the beginning of the word they were hearing: the two renditions'
/// times for a position differ, the word does not.
public enum PositionTiming {
    /// When the word holding `character` starts in `alignment`, in milliseconds; nil when the alignment is
    /// empty. A character past the end counts as the last.
    public static func milliseconds(ofCharacter character: Int, in alignment: SpeechAlignment) -> UInt32? {
        guard !alignment.characters.isEmpty else { return nil }
        let start = wordStart(min(max(0, character), alignment.characters.count - 1), in: alignment)
        return alignment.characters[start].startMilliseconds
    }

    /// The character at the start of the word being spoken at `milliseconds`: the last character whose start
    /// is not after it, moved back to its word's first character. 0 for an empty alignment.
    public static func character(atMilliseconds milliseconds: UInt32, in alignment: SpeechAlignment) -> Int {
        let characters = alignment.characters
        // Starts never decrease in a stored alignment (a merged one is offset chunk by chunk): binary search.
        var (low, high) = (0, characters.count)
        while low < high {
            let middle = (low + high) / 2
            if characters[middle].startMilliseconds <= milliseconds { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return 0 }
        return wordStart(low - 1, in: alignment)
    }

    /// The first character of the word holding `index` (spaces belong to the word after them).
    static func wordStart(_ index: Int, in alignment: SpeechAlignment) -> Int {
        let characters = alignment.characters
        var start = index
        while start < characters.count - 1, isSpace(characters[start].text) { start += 1 }
        if start != index { return start }
        while start > 0, !isSpace(characters[start - 1].text) { start -= 1 }
        return start
    }

    static func isSpace(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy(\.properties.isWhitespace)
    }
}
