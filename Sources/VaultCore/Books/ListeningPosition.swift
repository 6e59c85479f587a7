/// Where a listener stopped in a book, as text: a chapter and a character of its text (a Unicode scalar index,
/// as the stored timings count characters), not a time in one file, so it survives a change of voice, speed
/// or model (`PositionTiming` turns it into a time in any rendition with timings).
///
/// Scoped to the client key that wrote it: `listener` is the app's own user id, opaque here, and two apps'
/// listeners never meet. `at` is the client's clock (seconds since 1970): of two writes, the later by that
/// clock wins, whichever arrives last.
public struct ListeningPosition: Sendable, Equatable {
    public var listener: String
    public var bookId: String
    public var chapterId: String
    public var character: Int
    public var at: Double

    public init(listener: String, bookId: String, chapterId: String, character: Int, at: Double) {
        self.listener = listener
        self.bookId = bookId
        self.chapterId = chapterId
        self.character = character
        self.at = at
    }

    /// The bounds of what a client sends: a listener id of 1 to `maximumListenerBytes` bytes without control
    /// characters, a character index from 0 to `maximumCharacter`.
    public static let maximumListenerBytes = 256
    public static let maximumCharacter = 10_000_000

    public static func validListener(_ listener: String) -> Bool {
        !listener.isEmpty && listener.utf8.count <= maximumListenerBytes
            && !listener.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
