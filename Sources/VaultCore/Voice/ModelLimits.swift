/// Characters ElevenLabs accepts in one request, per model (shared/reference/elevenlabs-api.md). Longer text is
/// split by `TextChunker` and streamed on as one MP3 by `ChunkingSynthesizer`.
public enum ModelLimits {
    public static func maximumCharacters(model: String) -> Int {
        switch model {
        case "eleven_flash_v2_5", "eleven_turbo_v2_5": 40_000
        case "eleven_flash_v2", "eleven_turbo_v2": 30_000
        case "eleven_multilingual_v2", "eleven_multilingual_v1", "eleven_monolingual_v1": 10_000
        case "eleven_v3": 3_000
        // Unknown models: the smallest documented limit, so a request is never refused for length.
        default: 3_000
        }
    }
}
