/// The columns of the old app's `book_audio` table that an import reads, with the column name each is
/// expected under (`--column field=name` maps another name; Docs/OPERATIONS.md lists them).
public enum LegacyField: String, CaseIterable, Sendable, Hashable {
    case text
    case voiceId = "voice_id"
    case model
    case speakingRate = "speaking_rate"
    case format
    case bookId = "book_id"
    case chapterId = "chapter_id"
    case storagePath = "storage_path"
    case createdAt = "created_at"

    /// Without these a row cannot be turned into an asset; the others have defaults (model and format
    /// ElevenLabs', rate 1, created now, no chapter).
    public var isRequired: Bool {
        switch self {
        case .text, .voiceId, .bookId, .storagePath: true
        case .model, .speakingRate, .format, .chapterId, .createdAt: false
        }
    }
}
