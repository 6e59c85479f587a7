/// Words and sentences of an aligned text, each with when it is spoken: what the alignment API returns beside
/// the characters, what WebVTT cues and EPUB media overlays are made of, and what listen mode highlights.
///
/// One linear pass over the characters each. A word is a run of non-whitespace. Sentences end where
/// `TextChunker` ends them when it cuts long text (after `.`, `!`, `?`, `…` and their CJK, Arabic and Devanagari
/// kin, with any closing quotes, when a space or the end follows; and at every line break, so a heading or a line
/// of verse is its own cue), so one rule decides both.
public struct TimedSegments: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var text: String
        /// Index of the first character in the alignment, and one past the last.
        public var characterRange: Range<Int>
        public var startMilliseconds: UInt32
        public var endMilliseconds: UInt32

        public var startSeconds: Double { Double(startMilliseconds) / 1000 }
        public var endSeconds: Double { Double(endMilliseconds) / 1000 }
    }

    public var words: [Segment]
    public var sentences: [Segment]

    public init(_ alignment: SpeechAlignment) {
        let characters = alignment.characters
        words = Self.segments(characters) { index in
            Self.isWhitespace(characters[index].text) ? .separator : .content
        }
        // The first scalar of each entry stands for it (ElevenLabs sends one scalar per entry).
        let scalars = characters.map { $0.text.unicodeScalars.first ?? " " }
        var boundaries = Set<Int>()
        for index in scalars.indices {
            if let end = TextChunker.sentenceEnd(scalars, index) { boundaries.insert(end) }
        }
        sentences = Self.segments(characters) { index in
            boundaries.contains(index) ? .boundary : .content
        }
    }

    /// What a character does to the segment being built: belongs to it, ends it before itself (a separator,
    /// dropped), or begins the next one (a boundary, kept).
    enum Role { case content, separator, boundary }

    /// Segments between separators and boundaries, with leading and trailing whitespace left out of each.
    static func segments(_ characters: [SpeechAlignment.Character], role: (Int) -> Role) -> [Segment] {
        var result = [Segment]()
        var start: Int?
        func close(_ end: Int) {
            guard var first = start else { return }
            start = nil
            var last = end
            while first < last, isWhitespace(characters[first].text) { first += 1 }
            while last > first, isWhitespace(characters[last - 1].text) { last -= 1 }
            guard first < last else { return }
            let slice = characters[first..<last]
            result.append(
                Segment(
                    text: slice.map(\.text).joined(), characterRange: first..<last,
                    startMilliseconds: slice.map(\.startMilliseconds).min() ?? 0,
                    endMilliseconds: slice.map(\.endMilliseconds).max() ?? 0))
        }
        for index in characters.indices {
            switch role(index) {
            case .separator: close(index)
            case .boundary:
                close(index)
                start = index
            case .content: if start == nil { start = index }
            }
        }
        close(characters.count)
        return result
    }

    static func isWhitespace(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
    }
}
