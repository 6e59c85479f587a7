/// What a book says about one of its audio assets: which chapter it is, where that chapter stands in the
/// book, and its title. Stored on the book's link (`<bookId>/<hash>` in the index, the `asset_books` row in a
/// cluster's catalog), never in the hash: the same audio may be chapter 3 of one book and chapter 1 of another.
///
/// Recorded when a request carrying any of these links the audio, and replaced when a later request carries
/// different ones (the last request that said something wins). A link made without them has none
/// (`isEmpty`), and the book manifest orders it by what it can (`BookManifest`).
public struct BookLink: Sendable, Equatable, Hashable {
    public var chapterId: String?
    /// The chapter's explicit place in reading order (0 first).
    public var chapterIndex: Int?
    public var chapterTitle: String?

    /// Bounds of what a request may say (`POST /api/voice`): an index below a million, a title of at most
    /// `maximumTitleBytes` bytes of UTF-8.
    public static let maximumIndex = 999_999
    public static let maximumTitleBytes = 300

    public init(chapterId: String? = nil, chapterIndex: Int? = nil, chapterTitle: String? = nil) {
        self.chapterId = chapterId
        self.chapterIndex = chapterIndex
        self.chapterTitle = chapterTitle
    }

    /// Why a request's chapter details are refused: a stable code and a sentence.
    public struct Invalid: Error, Equatable, Sendable {
        public let code: String
        public let message: String
    }

    /// The details a request gives, checked against the bounds: an index from 0 to `maximumIndex`, a title of at
    /// most `maximumTitleBytes` bytes without control characters (an empty title is none).
    public static func checked(chapterId: String?, chapterIndex: Int?, chapterTitle: String?) throws(Invalid) -> BookLink {
        if let chapterIndex, !(0...maximumIndex).contains(chapterIndex) {
            throw Invalid(code: "invalid_chapter_index", message: "chapterIndex must be a whole number from 0 to \(maximumIndex)")
        }
        if let chapterTitle,
            chapterTitle.utf8.count > maximumTitleBytes
                || chapterTitle.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            throw Invalid(
                code: "invalid_chapter_title",
                message: "chapterTitle must be at most \(maximumTitleBytes) bytes of UTF-8 without control characters")
        }
        return BookLink(chapterId: chapterId, chapterIndex: chapterIndex, chapterTitle: chapterTitle.flatMap { $0.isEmpty ? nil : $0 })
    }

    public var isEmpty: Bool { chapterId == nil && chapterIndex == nil && chapterTitle == nil }

    /// The link's value in the index: empty for no details, else a version byte (1) and three fields, each a
    /// presence byte then, for text, a 16-bit little-endian length and UTF-8, for the index 4 bytes little-endian.
    /// Deterministic, so a request's details are compared with the stored ones byte for byte.
    public var encoded: [UInt8] {
        guard !isEmpty else { return [] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(9 + (chapterId?.utf8.count ?? 0) + (chapterTitle?.utf8.count ?? 0))
        bytes.append(1)
        func text(_ value: String?) {
            guard let value else { return bytes.append(0) }
            let utf8 = value.utf8.prefix(Int(UInt16.max))
            bytes.append(1)
            bytes.append(UInt8(utf8.count & 0xFF))
            bytes.append(UInt8(utf8.count >> 8))
            bytes.append(contentsOf: utf8)
        }
        text(chapterId)
        if let chapterIndex {
            let value = UInt32(clamping: chapterIndex)
            bytes.append(1)
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        } else {
            bytes.append(0)
        }
        text(chapterTitle)
        return bytes
    }

    /// Reads `encoded`; an empty value is no details. Nil for bytes this build did not write (a newer version, or
    /// damage): the link then counts as having none.
    public init?(encoded bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        guard !bytes.isEmpty else {
            self.init()
            return
        }
        guard bytes[0] == 1 else { return nil }
        var at = 1
        func text() -> String?? {
            guard at < bytes.count else { return .none }
            defer { at += 1 }
            guard bytes[at] == 1 else { return bytes[at] == 0 ? .some(nil) : .none }
            guard at + 2 < bytes.count else { return .none }
            let length = Int(bytes[at + 1]) | Int(bytes[at + 2]) << 8
            guard at + 3 + length <= bytes.count else { return .none }
            let value = String(decoding: bytes[(at + 3)..<(at + 3 + length)], as: UTF8.self)
            at += 2 + length
            return .some(value)
        }
        guard let chapterId = text(), at < bytes.count else { return nil }
        var chapterIndex: Int?
        if bytes[at] == 1 {
            guard at + 4 < bytes.count else { return nil }
            chapterIndex = Int(bytes[at + 1]) | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) << 16 | Int(bytes[at + 4]) << 24
            at += 5
        } else {
            guard bytes[at] == 0 else { return nil }
            at += 1
        }
        guard let chapterTitle = text(), at == bytes.count else { return nil }
        self.init(chapterId: chapterId, chapterIndex: chapterIndex, chapterTitle: chapterTitle)
    }
}
