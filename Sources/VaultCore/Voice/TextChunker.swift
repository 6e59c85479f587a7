/// Splits canonical text into pieces of at most `limit` Unicode scalars, at the most natural boundary
/// available: paragraph or sentence end first, then a clause (`,;:`), then a space, and only for a single
/// unbroken run longer than the limit, anywhere. The pieces, joined with the separators that were cut,
/// give back the text exactly; separators themselves (spaces, newlines) are not spoken and are dropped.
public struct TextChunker: Sendable {
    public let limit: Int
    /// How much neighbouring text to send as `previous_text` / `next_text` for stitching.
    public let contextLength: Int

    /// Characters of neighbouring text a chunk is sent with (and a stitched request with its neighbours' text).
    public static let defaultContextLength = 1_000

    public init(limit: Int, contextLength: Int = defaultContextLength) {
        precondition(limit > 0)
        self.limit = limit
        self.contextLength = contextLength
    }

    /// One piece to synthesise, with the text around it for prosody.
    public struct Chunk: Equatable, Sendable {
        public let text: String
        public let previousText: String?
        public let nextText: String?
    }

    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var pieces = [String]()
        var start = 0
        while start < scalars.count {
            // Skip separators between pieces.
            while start < scalars.count, Self.isSeparator(scalars[start]) { start += 1 }
            if start >= scalars.count { break }
            if scalars.count - start <= limit {
                pieces.append(Self.string(scalars[start...]))
                break
            }
            let window = start..<(start + limit)
            let end = Self.cut(scalars, in: window)
            var trimmedEnd = end
            while trimmedEnd > start, Self.isSeparator(scalars[trimmedEnd - 1]) { trimmedEnd -= 1 }
            pieces.append(Self.string(scalars[start..<trimmedEnd]))
            start = end
        }
        return pieces
    }

    /// `split`, with each piece's stitching context: the text before and after it within the request, clipped to
    /// `contextLength`, and the request's own context at the ends.
    public func chunks(_ text: String, previousText: String?, nextText: String?) -> [Chunk] {
        let pieces = split(text)
        return pieces.indices.map { index in
            let before = pieces[..<index].joined(separator: " ")
            let after = pieces[(index + 1)...].joined(separator: " ")
            let previous = index == 0 ? previousText : ([previousText ?? "", before].filter { !$0.isEmpty }.joined(separator: " "))
            let next = index == pieces.count - 1 ? nextText : ([after, nextText ?? ""].filter { !$0.isEmpty }.joined(separator: " "))
            return Chunk(
                text: pieces[index], previousText: previous.map { Self.suffix($0, contextLength) },
                nextText: next.map { Self.prefix($0, contextLength) })
        }
    }

    /// The end of the best cut in `window` (exclusive): just after the last sentence end, else clause mark,
    /// else separator; else the window's end.
    static func cut(_ scalars: [Unicode.Scalar], in window: Range<Int>) -> Int {
        let minimum = window.lowerBound + max(1, window.count / 4)  // never make a tiny piece for a nicer cut
        for rank in 0..<3 {
            var index = window.upperBound - 1
            while index >= minimum {
                if rank == 0, let end = sentenceEnd(scalars, index), end <= window.upperBound { return end }
                if rank == 1, isClauseEnd(scalars, index) { return index + 1 }
                if rank == 2, isSeparator(scalars[index]) { return index }
                index -= 1
            }
        }
        return window.upperBound
    }

    /// Where a sentence ending at `index` ends, closing quotes and brackets included; nil when no sentence
    /// ends there (a full stop inside "3.14" or "e.g." followed by a letter is not an end).
    static func sentenceEnd(_ scalars: [Unicode.Scalar], _ index: Int) -> Int? {
        let terminators: Set<UInt32> = [0x2E, 0x21, 0x3F, 0x2026, 0x3002, 0xFF01, 0xFF1F, 0x061F, 0x0964]
        if scalars[index] == "\n" { return index + 1 }
        guard terminators.contains(scalars[index].value) else { return nil }
        var next = index + 1
        while next < scalars.count, "\"'”’)»」』".unicodeScalars.contains(scalars[next]) { next += 1 }
        let ends = next >= scalars.count || isSeparator(scalars[next]) || scalars[index].value >= 0x3000
        return ends ? next : nil
    }

    static func isClauseEnd(_ scalars: [Unicode.Scalar], _ index: Int) -> Bool {
        let marks: Set<UInt32> = [0x2C, 0x3B, 0x3A, 0x2014, 0x3001, 0x060C]
        return marks.contains(scalars[index].value)
            && (index + 1 >= scalars.count || isSeparator(scalars[index + 1]) || scalars[index].value >= 0x2000)
    }

    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\n" }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    static func suffix(_ text: String, _ count: Int) -> String { string(ArraySlice(text.unicodeScalars.suffix(count))) }
    static func prefix(_ text: String, _ count: Int) -> String { string(ArraySlice(text.unicodeScalars.prefix(count))) }
}
