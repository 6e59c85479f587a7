/// One request for speech: what shapes the audio (`spec`, which alone makes the content hash) and what does
/// not (which book and chapter it is for, who asked), which accounting needs.
public struct VoiceRequest: Sendable {
    public var spec: SpeechSpec
    public var who: Who

    /// The parts of a request that do not shape the audio.
    public struct Who: Sendable, Equatable {
        public var bookId: StorageIdentifier
        public var chapterId: String?
        /// The chapter's place in the book and its title, recorded on the book's link with `chapterId`
        /// (`BookLink`).
        public var chapterIndex: Int?
        public var chapterTitle: String?
        /// The client key's stable id (`ClientKey.id`), nil for callers without one (tests, jobs).
        public var clientKeyId: String?
        /// The client key's name, for people.
        public var clientName: String?
        /// The client key's own characters per UTC day (`ClientKey.dailyCharacterLimit`); nil: no own cap.
        public var clientDailyLimit: Int?

        public init(
            bookId: StorageIdentifier, chapterId: String? = nil, clientKeyId: String? = nil, clientName: String? = nil,
            clientDailyLimit: Int? = nil, chapterIndex: Int? = nil, chapterTitle: String? = nil
        ) {
            self.bookId = bookId
            self.chapterId = chapterId
            self.chapterIndex = chapterIndex
            self.chapterTitle = chapterTitle
            self.clientKeyId = clientKeyId
            self.clientName = clientName
            self.clientDailyLimit = clientDailyLimit
        }
    }

    /// What the request says about its audio's place in the book.
    public var link: BookLink { BookLink(chapterId: who.chapterId, chapterIndex: who.chapterIndex, chapterTitle: who.chapterTitle) }

    public init(spec: SpeechSpec, who: Who) {
        self.spec = spec
        self.who = who
    }
}
