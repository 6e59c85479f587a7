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
    }

    let text: String
    let model_id: String
    let language_code: String?
    let voice_settings: Settings
    let seed: UInt32?
    let previous_text: String?
    let next_text: String?

    init(_ spec: SpeechSpec) {
        text = spec.text
        model_id = spec.modelId
        language_code = spec.languageCode
        let settings = spec.voiceSettings
        voice_settings = Settings(
            stability: settings.stability, similarity_boost: settings.similarityBoost, style: settings.style,
            use_speaker_boost: settings.useSpeakerBoost, speed: settings.speed)
        seed = spec.seed
        previous_text = spec.previousText
        next_text = spec.nextText
    }
}
