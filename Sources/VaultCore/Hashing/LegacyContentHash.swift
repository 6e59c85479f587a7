/// The seed app's original key: `sha256(text + voiceId + model + speakingRate + format)`, with speakingRate
/// formatted the way JavaScript prints a number (`1`, `0.9`). Kept so that imported legacy rows can be found
/// by their old hash; new audio is always keyed by `SpeechSpec.contentHash`. Docs/HASHING.md explains the map.
public enum LegacyContentHash {
    public static func compute(text: String, voiceId: String, model: String, speakingRate: Double, format: String)
        -> SHA256Digest
    {
        SHA256Digest.of(text + voiceId + model + javaScriptNumber(speakingRate) + format)
    }

    /// JavaScript's `String(number)` for the values a speaking rate takes: integers print without a fraction,
    /// other values with the shortest round-tripping digits (Swift's `description` matches for |x| in 1e-6..<1e21).
    public static func javaScriptNumber(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e21 {
            return String(Int64(value))
        }
        return value.description
    }
}
