import VaultCore

/// The JSON body of `POST /v1/text-to-dialogue`, built from a dialogue spec (`SpeechSpec.dialogue`).
///
/// Only what the request set is sent: upstream documents no default for the dialogue's own settings, so an
/// absent one stays absent (and is hashed as absent). Upstream names the following text `future_text` here.
struct TextToDialogueRequestBody: Encodable, Equatable {
    struct Input: Encodable, Equatable {
        let text: String
        let voice_id: String
    }

    struct Settings: Encodable, Equatable {
        let stability: Double?
        let similarity: Double?
        let clone_strength: Double?
    }

    let inputs: [Input]
    let model_id: String
    let language_code: String?
    let settings: Settings?
    let seed: UInt32?
    let previous_text: String?
    let future_text: String?
    let previous_request_ids: [String]?
    let next_request_ids: [String]?
    let apply_text_normalization: String?
    let use_pvc_as_ivc: Bool?
    let pronunciation_dictionary_locators: [TextToSpeechRequestBody.DictionaryLocator]?

    init(_ spec: SpeechSpec, script: DialogueScript) {
        inputs = script.lines.map { Input(text: $0.text, voice_id: $0.voiceId) }
        model_id = spec.modelId
        language_code = spec.languageCode
        let clone = spec.extensions.cloneStrength
        settings =
            script.stability == nil && script.similarity == nil && clone == nil
            ? nil : Settings(stability: script.stability, similarity: script.similarity, clone_strength: clone)
        seed = spec.seed
        let context = spec.upstreamContext ?? StitchingContext()
        previous_text = context.previousText ?? spec.previousText
        future_text = context.nextText ?? spec.nextText
        previous_request_ids = context.previousRequestIds.isEmpty ? nil : context.previousRequestIds
        next_request_ids = context.nextRequestIds.isEmpty ? nil : context.nextRequestIds
        let extensions = spec.extensions
        apply_text_normalization = extensions.textNormalization == .auto ? nil : extensions.textNormalization.rawValue
        use_pvc_as_ivc = extensions.usePvcAsIvc ? true : nil
        pronunciation_dictionary_locators =
            extensions.pronunciationDictionaries.isEmpty
            ? nil
            : extensions.pronunciationDictionaries.map { .init(pronunciation_dictionary_id: $0.dictionaryId, version_id: $0.versionId) }
    }
}
