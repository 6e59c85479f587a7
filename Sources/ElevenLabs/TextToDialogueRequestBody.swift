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
        let shared = UpstreamFields(spec)
        (previous_text, future_text) = (shared.previousText, shared.nextText)
        (previous_request_ids, next_request_ids) = (shared.previousRequestIds, shared.nextRequestIds)
        apply_text_normalization = shared.textNormalization
        use_pvc_as_ivc = shared.usePvcAsIvc
        pronunciation_dictionary_locators = shared.dictionaries
    }
}
