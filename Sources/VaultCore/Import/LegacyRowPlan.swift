/// What importing one legacy row means, decided from the row alone (no files, no index): the request the row
/// was, its new content hash, its old key, and where its audio should be; or why it cannot be imported.
///
/// The map from columns to request fields is Docs/HASHING.md's legacy section: text, voice, model, rate as
/// `speed`, format as `output_format`, every other field at its default.
public struct LegacyRowPlan: Sendable, Equatable {
    public let rowId: Int
    public let spec: SpeechSpec
    public let contentHash: SHA256Digest
    /// The old app's key (`LegacyContentHash`), kept as an alias of `contentHash`.
    public let legacyKey: SHA256Digest
    public let bookId: StorageIdentifier
    public let chapterId: String?
    public let audioPath: LegacyStoragePath
    public let createdAt: Double?

    /// Why a row is not imported: a stable code (the summary counts by it) and a sentence naming the value.
    public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        public let code: String
        public let message: String

        public init(_ code: String, _ message: String) {
            self.code = code
            self.message = message
        }

        public var description: String { "\(code): \(message)" }

        public static func missingFile(_ path: LegacyStoragePath) -> Rejection {
            Rejection("missing_file", "no audio file at \(path)")
        }
        public static func notMP3(_ path: LegacyStoragePath, _ reason: String) -> Rejection {
            Rejection("not_mp3", "\(path) is not a whole MP3: \(reason)")
        }
        public static func tooLarge(_ path: LegacyStoragePath, limit: Int) -> Rejection {
            Rejection("file_too_large", "\(path) is larger than \(limit) bytes")
        }
    }

    /// Legacy formats are ElevenLabs output formats; the old app also wrote plain `mp3`, which was the default.
    static func outputFormat(_ legacy: String?) -> String? {
        guard let legacy else { return nil }
        return legacy.lowercased() == "mp3" ? OutputFormat.default : legacy
    }

    public static func make(_ row: LegacyRow, bucket: String?, maximumTextCharacters: Int) -> Result<LegacyRowPlan, Rejection> {
        Result { () throws(Rejection) in try LegacyRowPlan(row, bucket: bucket, maximumTextCharacters: maximumTextCharacters) }
    }

    /// - Parameter maximumTextCharacters: the server's `VOICEVAULT_MAX_TEXT_CHARS`: a row the voice API would
    ///   refuse is not imported, so every imported asset is one a client could have asked for.
    public init(_ row: LegacyRow, bucket: String?, maximumTextCharacters: Int) throws(Rejection) {
        rowId = row.rowId
        guard let text = row.text(.text), !text.trimmingWhitespace().isEmpty else {
            throw Rejection("empty_text", "the text is empty")
        }
        guard let voice = row.text(.voiceId), !voice.isEmpty else { throw Rejection("invalid_voice_id", "the voice id is empty") }
        let model = row.text(.model).flatMap { $0.isEmpty ? nil : $0 }
        let format = Self.outputFormat(row.text(.format).flatMap { $0.isEmpty ? nil : $0 })
        if let format, !OutputFormat.mp3.contains(format) {
            throw Rejection("unsupported_format", "format '\(format)' is not an MP3 format; only MP3 audio is imported")
        }
        var rate: Double?
        switch row.number(.speakingRate) {
        case .absent: rate = nil
        case let .value(value): rate = value
        case let .unreadable(text): throw Rejection("invalid_speaking_rate", "speaking rate '\(text)' is not a number")
        }
        do {
            spec = try SpeechSpec(
                text: text, voiceId: voice, modelId: model, outputFormat: format,
                voiceSettings: try VoiceSettings(speed: rate), maximumTextLength: maximumTextCharacters)
        } catch {
            throw Rejection(error.code, error.description)
        }
        contentHash = spec.contentHash
        // The old key hashed the values as stored, before any default or canonicalisation.
        legacyKey = LegacyContentHash.compute(
            text: text, voiceId: voice, model: row.text(.model) ?? "", speakingRate: rate ?? 1,
            format: row.text(.format) ?? "")
        guard let rawBook = row.text(.bookId) else { throw Rejection("invalid_book_id", "the book id is empty") }
        do { bookId = try StorageIdentifier(rawBook, kind: .bookId) } catch {
            throw Rejection("invalid_book_id", "book id '\(rawBook)': \(error)")
        }
        chapterId = row.text(.chapterId)
        guard let stored = row.text(.storagePath) else { throw Rejection("invalid_storage_path", "the storage path is empty") }
        do { audioPath = try LegacyStoragePath(stored, bucket: bucket) } catch {
            throw Rejection("invalid_storage_path", "storage path '\(stored)': \(error)")
        }
        switch row.values[.createdAt] {
        case .none, .some(.null): createdAt = nil
        case let .some(.integer(value)): createdAt = LegacyTimestamp.secondsSince1970(Double(value))
        case let .some(.real(value)): createdAt = LegacyTimestamp.secondsSince1970(value)
        case let .some(.text(value)):
            guard let seconds = LegacyTimestamp.secondsSince1970(value) else {
                throw Rejection("invalid_created_at", "created time '\(value)' is neither ISO 8601 nor seconds since 1970")
            }
            createdAt = seconds
        }
    }
}
