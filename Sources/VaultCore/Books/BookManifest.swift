/// A book as listeners use it (`GET /api/books/{bookId}`): its chapters in reading order, each with its
/// renditions (the same chapter in another voice, model or format).
///
/// Which chapter an asset is: the `chapterId` its book's link records; an asset linked without one is a
/// chapter of its own. Reading order (decided in Docs/API.md, "Books"):
/// 1. chapters with an explicit `chapterIndex`, by that index (the smallest any of its renditions records),
///    ties in natural order of `chapterId`;
/// 2. then chapters without an index, in natural order of `chapterId` (`NaturalOrder`: "ch-2" before "ch-10");
/// 3. then assets linked without a chapter id, oldest first.
/// An explicit index wins over the natural order because only the client knows that "epilogue" comes last.
/// Renditions are newest first; a chapter's title is that of its newest rendition that has one.
public struct BookManifest: Sendable, Equatable {
    public let bookId: String
    public let chapters: [Chapter]

    public struct Chapter: Sendable, Equatable {
        public let chapterId: String?
        public let chapterIndex: Int?
        public let title: String?
        public let renditions: [Rendition]

        /// Every rendition's duration, the longest (they speak the same text; a playlist needs one figure).
        public var durationSeconds: Double { renditions.map(\.durationSeconds).max() ?? 0 }
    }

    public struct Rendition: Sendable, Equatable {
        public let contentHash: String
        public let voiceId: String
        public let modelId: String
        public let outputFormat: String
        public let durationSeconds: Double
        public let hasAlignment: Bool
        public let createdAt: Double
        /// The characters of the chapter's text (Unicode scalars).
        public let characterCount: Int
        /// What ElevenLabs billed for it once (nil for audio it did not make).
        public let characterCost: Int?
    }

    public init(bookId: String, entries: [BookEntry]) {
        self.bookId = bookId
        var named: [String: [BookEntry]] = [:]
        var unnamed: [BookEntry] = []
        for entry in entries {
            if let chapterId = entry.link.chapterId { named[chapterId, default: []].append(entry) } else { unnamed.append(entry) }
        }
        let newestFirst: (BookEntry, BookEntry) -> Bool = {
            ($0.record.createdAt, $1.record.contentHash) > ($1.record.createdAt, $0.record.contentHash)
        }
        var chapters = named.map { chapterId, entries -> Chapter in
            let sorted = entries.sorted(by: newestFirst)
            return Chapter(
                chapterId: chapterId, chapterIndex: sorted.compactMap(\.link.chapterIndex).min(),
                title: sorted.lazy.compactMap(\.link.chapterTitle).first, renditions: sorted.map(Rendition.init))
        }
        chapters.sort { a, b in
            switch (a.chapterIndex, b.chapterIndex) {
            case let (x?, y?) where x != y: return x < y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return NaturalOrder.precedes(a.chapterId ?? "", b.chapterId ?? "")
            }
        }
        let loose = unnamed.sorted { ($0.record.createdAt, $0.record.contentHash) < ($1.record.createdAt, $1.record.contentHash) }
        chapters += loose.map { entry in
            Chapter(chapterId: nil, chapterIndex: entry.link.chapterIndex, title: entry.link.chapterTitle, renditions: [Rendition(entry)])
        }
        self.chapters = chapters
    }

    /// The rendition a playlist plays for each chapter: the newest matching every filter given; chapters with
    /// none are left out.
    public func playlist(voiceId: String?, modelId: String?, outputFormat: String?) -> [(chapter: Chapter, rendition: Rendition)] {
        chapters.compactMap { chapter in
            chapter.renditions.first { rendition in
                (voiceId == nil || rendition.voiceId == voiceId) && (modelId == nil || rendition.modelId == modelId)
                    && (outputFormat == nil || rendition.outputFormat == outputFormat)
            }.map { (chapter, $0) }
        }
    }
}

extension BookManifest.Rendition {
    init(_ entry: BookEntry) {
        self.init(
            contentHash: entry.record.contentHash, voiceId: entry.record.voiceId, modelId: entry.record.modelId,
            outputFormat: entry.record.outputFormat, durationSeconds: entry.record.durationSeconds, hasAlignment: entry.hasAlignment,
            createdAt: entry.record.createdAt, characterCount: entry.record.characterCount,
            characterCost: entry.record.characterCost)
    }
}
