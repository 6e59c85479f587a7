import Foundation
import VaultCore

/// The JSON body of `POST /api/voice`, as the reading app sends it.
struct VoiceRequestBody: Decodable, Sendable {
    var text: String?
    var voiceId: String?
    var bookId: String?
    var chapterId: String?
    /// The chapter's place in the book and its title (`BookLink`): they do not shape the audio.
    var chapterIndex: Int?
    var chapterTitle: String?
    var model: String?
    var voiceSettings: VoiceSettingsBody?
    /// The seed app's name for voice setting `speed`.
    var speakingRate: Double?
    var format: String?
    var languageCode: String?
    var seed: Int64?
    var previousText: String?
    var nextText: String?
    /// A chapter with characters: lines, each in its own voice, in place of `text` and `voiceId`.
    var dialogue: [DialogueLineBody]?

    struct DialogueLineBody: Decodable, Sendable {
        var text: String
        var voiceId: String
    }

    /// Accepts the camelCase names of the seed app and ElevenLabs' snake_case names.
    struct VoiceSettingsBody: Decodable, Sendable {
        var stability: Double?
        var similarityBoost: Double?
        var style: Double?
        var useSpeakerBoost: Bool?
        var speed: Double?

        enum Keys: String, CodingKey {
            case stability, similarityBoost, similarity_boost, style, useSpeakerBoost, use_speaker_boost, speed
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            stability = try container.decodeIfPresent(Double.self, forKey: .stability)
            similarityBoost =
                try container.decodeIfPresent(Double.self, forKey: .similarityBoost)
                ?? container.decodeIfPresent(Double.self, forKey: .similarity_boost)
            style = try container.decodeIfPresent(Double.self, forKey: .style)
            useSpeakerBoost =
                try container.decodeIfPresent(Bool.self, forKey: .useSpeakerBoost)
                ?? container.decodeIfPresent(Bool.self, forKey: .use_speaker_boost)
            speed = try container.decodeIfPresent(Double.self, forKey: .speed)
        }
    }

    /// A validated request: what to synthesise and for which book.
    struct Validated: Sendable {
        let spec: SpeechSpec
        let bookId: StorageIdentifier
        let chapterId: StorageIdentifier?
        var chapterIndex: Int? = nil
        var chapterTitle: String? = nil
        /// What the voice service resolves `spec` to, and its content hash (`VoiceService.identity(of:)`), when
        /// the route worked it out: pure, so the memo of validated bodies keeps it, and a hit of the same body
        /// needs neither the canonical encoding nor the hash again.
        var identity: VoiceService.Identity?
    }

    /// The whole of what `POST /api/voice` does with its body before any lookup: decode, then validate.
    static func validated(body data: Data, maximumTextCharacters: Int) throws(APIError) -> Validated {
        try decode(data).validated(maximumTextCharacters: maximumTextCharacters)
    }

    static func decode(_ data: Data) throws(APIError) -> VoiceRequestBody {
        do {
            return try JSONDecoder().decode(VoiceRequestBody.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) where !context.codingPath.isEmpty {
            throw APIError(
                .badRequest, code: "invalid_field",
                message: "\(Self.path(context.codingPath)) must be \(Self.describe(type))")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw APIError(.badRequest, code: "invalid_field", message: "\(Self.path(context.codingPath)) is not valid")
        } catch {
            throw APIError(.badRequest, code: "invalid_json", message: "the body must be a JSON object")
        }
    }

    func validated(maximumTextCharacters: Int) throws(APIError) -> Validated {
        if dialogue != nil, text != nil || voiceId != nil || voiceSettings != nil || speakingRate != nil {
            throw APIError(
                .badRequest, code: "conflicting_fields",
                message: "dialogue takes the place of text, voiceId and the voice settings; send one or the other")
        }
        guard dialogue != nil || text != nil else { throw .missing("text") }
        guard dialogue != nil || voiceId != nil else { throw .missing("voiceId") }
        guard let bookId else { throw .missing("bookId") }
        if let rate = speakingRate, let speed = voiceSettings?.speed, rate != speed {
            throw APIError(
                .badRequest, code: "conflicting_fields",
                message: "speakingRate (\(rate)) and voiceSettings.speed (\(speed)) disagree; send one")
        }
        let link: BookLink
        do { link = try BookLink.checked(chapterId: chapterId, chapterIndex: chapterIndex, chapterTitle: chapterTitle) } catch {
            throw APIError(.badRequest, code: error.code, message: error.message)
        }
        do {
            let book = try StorageIdentifier(bookId, kind: .bookId)
            let chapter = try chapterId.map { try StorageIdentifier($0, kind: .chapterId) }
            let settings = try VoiceSettings(
                stability: voiceSettings?.stability, similarityBoost: voiceSettings?.similarityBoost,
                style: voiceSettings?.style, useSpeakerBoost: voiceSettings?.useSpeakerBoost,
                speed: voiceSettings?.speed ?? speakingRate)
            let spec: SpeechSpec
            if let dialogue {
                guard dialogue.count <= DialogueScript.maximumLines else {
                    throw APIError(
                        .badRequest, code: "invalid_field", message: "dialogue must have at most \(DialogueScript.maximumLines) lines")
                }
                spec = try SpeechSpec(
                    dialogue: DialogueScript(lines: dialogue.map { ($0.text, $0.voiceId) }), modelId: model, outputFormat: format,
                    languageCode: languageCode, seed: seed, previousText: previousText, nextText: nextText,
                    maximumTextLength: maximumTextCharacters)
            } else {
                spec = try SpeechSpec(
                    text: text ?? "", voiceId: voiceId ?? "", modelId: model, outputFormat: format, languageCode: languageCode,
                    seed: seed, voiceSettings: settings, previousText: previousText, nextText: nextText,
                    maximumTextLength: maximumTextCharacters)
            }
            guard OutputFormat.mp3.contains(spec.outputFormat) else {
                throw APIError(
                    .badRequest, code: "unknown_format",
                    message: "format '\(spec.outputFormat)' is not stored; use one of \(OutputFormat.mp3.sorted().joined(separator: ", "))")
            }
            return Validated(
                spec: spec, bookId: book, chapterId: chapter, chapterIndex: link.chapterIndex, chapterTitle: link.chapterTitle)
        } catch let error as IdentifierError {
            throw APIError(.badRequest, code: error.code, message: error.description)
        } catch let error as SpeechSpecError {
            throw APIError(.badRequest, code: error.code, message: error.description)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, code: "invalid_request", message: "\(error)")
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map(\.stringValue).joined(separator: ".")
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type, is Int64.Type, is Int.Type: "a number"
        case is Bool.Type: "true or false"
        default: "an object"
        }
    }
}

extension APIError {
    static func missing(_ field: String) -> APIError {
        APIError(.badRequest, code: "missing_field", message: "\(field) is required")
    }
}
