import Foundation

/// What `POST /admin/jobs` asks for: a book's chapters in one or more voices, generated ahead of readers.
///
///     {"bookId": "b1", "chapters": [{"chapterId": "c1", "text": "..."}], "voices": ["21m00Tcm4TlvDq8ikWAM"],
///      "model": "eleven_multilingual_v2", "format": "mp3_44100_128",
///      "voiceSettings": {"stability": 0.5, "speed": 1.0} | "speakingRate": 1.0}
///
/// Validated whole before a job exists: every chapter in every voice must make a speech spec, so a job never
/// fails halfway for a reason its manifest already had.
public struct JobManifest: Codable, Sendable, Equatable {
    public struct Chapter: Codable, Sendable, Equatable {
        public var chapterId: String
        public var text: String
        /// The chapter's place in the book (`BookLink`); without it, its place in this manifest.
        public var chapterIndex: Int?
        public var title: String?

        public init(chapterId: String, text: String, chapterIndex: Int? = nil, title: String? = nil) {
            self.chapterId = chapterId
            self.text = text
            self.chapterIndex = chapterIndex
            self.title = title
        }
    }

    public struct Settings: Codable, Sendable, Equatable {
        public var stability: Double?
        public var similarityBoost: Double?
        public var style: Double?
        public var useSpeakerBoost: Bool?
        public var speed: Double?

        public init(
            stability: Double? = nil, similarityBoost: Double? = nil, style: Double? = nil, useSpeakerBoost: Bool? = nil,
            speed: Double? = nil
        ) {
            self.stability = stability
            self.similarityBoost = similarityBoost
            self.style = style
            self.useSpeakerBoost = useSpeakerBoost
            self.speed = speed
        }
    }

    public var bookId: String
    public var chapters: [Chapter]
    public var voices: [String]
    public var model: String?
    public var format: String?
    public var voiceSettings: Settings?
    public var speakingRate: Double?

    public init(
        bookId: String, chapters: [Chapter], voices: [String], model: String? = nil, format: String? = nil,
        voiceSettings: Settings? = nil, speakingRate: Double? = nil
    ) {
        self.bookId = bookId
        self.chapters = chapters
        self.voices = voices
        self.model = model
        self.format = format
        self.voiceSettings = voiceSettings
        self.speakingRate = speakingRate
    }

    public static let maximumChapters = 10_000
    public static let maximumVoices = 20

    /// Why a manifest cannot become a job: a stable code and which part of it.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let code: String
        public let message: String
        public var description: String { message }
    }

    /// One generation the job will make: a chapter in a voice.
    public struct Item: Sendable, Equatable {
        public let chapterIndex: Int
        public let chapterId: StorageIdentifier
        public let voiceId: String
        public let spec: SpeechSpec
    }

    /// Every item, voice by voice in `voiceOrder` (most requested first), chapters in manifest order within a
    /// voice; or why the manifest is refused.
    public func items(voiceOrder: [String]? = nil, maximumTextCharacters: Int) throws(Invalid) -> (book: StorageIdentifier, items: [Item]) {
        let book: StorageIdentifier
        do { book = try StorageIdentifier(bookId, kind: .bookId) } catch {
            throw Invalid(code: error.code, message: "bookId: \(error)")
        }
        guard !chapters.isEmpty else { throw Invalid(code: "no_chapters", message: "chapters is empty") }
        guard chapters.count <= Self.maximumChapters else {
            throw Invalid(code: "too_many_chapters", message: "at most \(Self.maximumChapters) chapters per job")
        }
        guard !voices.isEmpty else { throw Invalid(code: "no_voices", message: "voices is empty") }
        guard voices.count <= Self.maximumVoices, Set(voices).count == voices.count else {
            throw Invalid(code: "invalid_voices", message: "voices must be at most \(Self.maximumVoices) distinct voice ids")
        }
        if let rate = speakingRate, let speed = voiceSettings?.speed, rate != speed {
            throw Invalid(
                code: "conflicting_fields", message: "speakingRate (\(rate)) and voiceSettings.speed (\(speed)) disagree; send one")
        }
        let settings: VoiceSettings
        do {
            settings = try VoiceSettings(
                stability: voiceSettings?.stability, similarityBoost: voiceSettings?.similarityBoost, style: voiceSettings?.style,
                useSpeakerBoost: voiceSettings?.useSpeakerBoost, speed: voiceSettings?.speed ?? speakingRate)
        } catch { throw Invalid(code: error.code, message: error.description) }
        var seenChapters = Set<String>()
        var chapterIds: [StorageIdentifier] = []
        for (index, chapter) in chapters.enumerated() {
            do { chapterIds.append(try StorageIdentifier(chapter.chapterId, kind: .chapterId)) } catch {
                throw Invalid(code: error.code, message: "chapters[\(index)].chapterId: \(error)")
            }
            do {
                _ = try BookLink.checked(chapterId: chapter.chapterId, chapterIndex: chapter.chapterIndex, chapterTitle: chapter.title)
            } catch {
                throw Invalid(code: error.code, message: "chapters[\(index)]: \(error.message)")
            }
            guard seenChapters.insert(chapter.chapterId).inserted else {
                throw Invalid(code: "duplicate_chapter", message: "chapter \(chapter.chapterId) appears twice")
            }
        }
        let ordered = (voiceOrder ?? voices).filter(voices.contains) + voices.filter { !(voiceOrder ?? voices).contains($0) }
        var items: [Item] = []
        items.reserveCapacity(ordered.count * chapters.count)
        for voice in ordered {
            for (index, chapter) in chapters.enumerated() {
                do {
                    let spec = try SpeechSpec(
                        text: chapter.text, voiceId: voice, modelId: model, outputFormat: format,
                        voiceSettings: settings, maximumTextLength: maximumTextCharacters)
                    guard OutputFormat.mp3.contains(spec.outputFormat) else {
                        throw Invalid(code: "unknown_format", message: "format '\(spec.outputFormat)' is not stored; use an MP3 format")
                    }
                    items.append(Item(chapterIndex: index, chapterId: chapterIds[index], voiceId: voice, spec: spec))
                } catch let error as SpeechSpecError {
                    throw Invalid(code: error.code, message: "chapter \(chapter.chapterId), voice \(voice): \(error)")
                } catch let error as Invalid {
                    throw error
                } catch {
                    throw Invalid(code: "invalid_request", message: "\(error)")
                }
            }
        }
        return (book, items)
    }

    /// Voices ordered by how often they are requested (hits and generations in the ledger), most first; ties
    /// keep the manifest's order.
    public static func voiceOrder(_ voices: [String], requests: [String: Int]) -> [String] {
        voices.enumerated().sorted {
            let (left, right) = (requests[$0.element] ?? 0, requests[$1.element] ?? 0)
            return left != right ? left > right : $0.offset < $1.offset
        }.map(\.element)
    }
}
