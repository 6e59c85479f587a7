import VaultCore

/// The JSON body of `POST /v1/text-to-speech/{voice_id}`, built from a resolved spec.
///
/// Only set fields are sent (ElevenLabs rejects `null` settings with 422), but every voice setting is always
/// set: omitted ones would make ElevenLabs use the voice's stored settings, and the audio could then differ
/// from what the content hash says (Docs/HASHING.md).
struct TextToSpeechRequestBody: Encodable, Equatable {
    struct Settings: Encodable, Equatable {
        let stability: Double
        let similarity_boost: Double
        let style: Double
        let use_speaker_boost: Bool
        let speed: Double
        let clone_strength: Double?
    }

    struct DictionaryLocator: Encodable, Equatable {
        let pronunciation_dictionary_id: String
        let version_id: String
    }

    let text: String
    let model_id: String
    let language_code: String?
    let voice_settings: Settings
    let seed: UInt32?
    let previous_text: String?
    let next_text: String?
    /// A stitched request's neighbours (`StitchingContext`): upstream's ids, which override the text on their
    /// side, or the neighbours' own text in place of the request's.
    let previous_request_ids: [String]?
    let next_request_ids: [String]?
    /// The extension fields are sent only when they differ from ElevenLabs' defaults, so a request that does
    /// not use them looks exactly as it did before they existed.
    let apply_text_normalization: String?
    let apply_language_text_normalization: Bool?
    let use_pvc_as_ivc: Bool?
    let pronunciation_dictionary_locators: [DictionaryLocator]?

    init(_ spec: SpeechSpec) {
        text = spec.text
        model_id = spec.modelId
        language_code = spec.languageCode
        let settings = spec.voiceSettings
        voice_settings = Settings(
            stability: settings.stability, similarity_boost: settings.similarityBoost, style: settings.style,
            use_speaker_boost: settings.useSpeakerBoost, speed: settings.speed,
            clone_strength: spec.extensions.cloneStrength)
        seed = spec.seed
        let shared = UpstreamFields(spec)
        (previous_text, next_text) = (shared.previousText, shared.nextText)
        (previous_request_ids, next_request_ids) = (shared.previousRequestIds, shared.nextRequestIds)
        apply_text_normalization = shared.textNormalization
        apply_language_text_normalization = spec.extensions.languageTextNormalization ? true : nil
        use_pvc_as_ivc = shared.usePvcAsIvc
        pronunciation_dictionary_locators = shared.dictionaries
    }
}

/// What a speech body and a dialogue body send alike: the neighbours (the request's own text, or the stitching
/// context resolved at the miss, which overrides it) and the extension fields, each only when it differs from
/// upstream's default, so that a request that does not use them looks exactly as it did before they existed.
struct UpstreamFields {
    let previousText: String?
    let nextText: String?
    let previousRequestIds: [String]?
    let nextRequestIds: [String]?
    let textNormalization: String?
    let usePvcAsIvc: Bool?
    let dictionaries: [TextToSpeechRequestBody.DictionaryLocator]?

    init(_ spec: SpeechSpec) {
        let context = spec.upstreamContext ?? StitchingContext()
        previousText = context.previousText ?? spec.previousText
        nextText = context.nextText ?? spec.nextText
        previousRequestIds = context.previousRequestIds.isEmpty ? nil : context.previousRequestIds
        nextRequestIds = context.nextRequestIds.isEmpty ? nil : context.nextRequestIds
        let extensions = spec.extensions
        textNormalization = extensions.textNormalization == .auto ? nil : extensions.textNormalization.rawValue
        usePvcAsIvc = extensions.usePvcAsIvc ? true : nil
        dictionaries =
            extensions.pronunciationDictionaries.isEmpty
            ? nil
            : extensions.pronunciationDictionaries.map { .init(pronunciation_dictionary_id: $0.dictionaryId, version_id: $0.versionId) }
    }
}
