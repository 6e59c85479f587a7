/// The lists SDK code asks for beside speech (`GET /v1/models`, `GET /v1/voices`), as ElevenLabs' JSON bodies:
/// from upstream when there is an ElevenLabs key, else the offline synthesizer's own.
public protocol VoiceCatalog: Sendable {
    func models() async throws -> [UInt8]
    func voices() async throws -> [UInt8]
}

/// The offline synthesizer's one model and one voice: it speaks every request with espeak-ng, whatever the
/// voice id, under the model id `offline_espeak_ng`.
public struct OfflineVoiceCatalog: VoiceCatalog {
    let maximumTextCharacters: Int

    public init(maximumTextCharacters: Int) {
        self.maximumTextCharacters = maximumTextCharacters
    }

    public func models() async throws -> [UInt8] {
        Array(
            ("""
            [{"model_id":"\(OfflineSynthesizer.modelId)","name":"espeak-ng (offline)","can_do_text_to_speech":true,\
            "can_be_finetuned":false,"can_do_voice_conversion":false,"maximum_text_length_per_request":\(maximumTextCharacters),\
            "model_rates":{"character_cost_multiplier":0.0},"languages":[]}]
            """).utf8)
    }

    public func voices() async throws -> [UInt8] {
        Array(
            ("""
            {"voices":[{"voice_id":"offline","name":"espeak-ng (offline; any voice id speaks with it)","category":"offline",\
            "labels":{},"description":"VoiceVault has no ElevenLabs key and speaks with espeak-ng"}]}
            """).utf8)
    }
}
