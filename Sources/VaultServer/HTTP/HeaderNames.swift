public import HTTPTypes

/// The header names VoiceVault reads and writes beyond the standard ones `HTTPTypes` already names: one
/// vocabulary, so a name is spelled once and a typo is a compile error, not a silent miss.
extension HTTPField.Name {
    /// `HIT` or `MISS`: whether an answer needed a generation (voice API, ElevenLabs-compatible surface).
    public static let xCache = HTTPField.Name("x-cache")!
    /// The content hash of the audio an answer is about.
    public static let xContentHash = HTTPField.Name("x-content-hash")!
    /// Supabase's project key header.
    public static let apikey = HTTPField.Name("apikey")!
    /// The ElevenLabs SDKs' key header.
    public static let xiAPIKey = HTTPField.Name("xi-api-key")!
    /// Supabase Storage's "replace if present" upload flag.
    public static let xUpsert = HTTPField.Name("x-upsert")!
    /// Storage raw uploads: the object's user metadata, base64 of a JSON object.
    public static let xMetadata = HTTPField.Name("x-metadata")!
    /// W3C Server-Timing: where a generating miss spent its time, for browsers' network panels.
    public static let serverTiming = HTTPField.Name("server-timing")!
    /// ElevenLabs' id of one answer (here VoiceVault's own: an upstream id is only good to the account that
    /// made it, for two hours, so a cached answer never hands one out).
    public static let requestId = HTTPField.Name("request-id")!
    /// ElevenLabs' characters billed for this answer: 0 when it cost nothing (a hit, or joining a generation).
    public static let characterCost = HTTPField.Name("character-cost")!
    /// What the audio cost when it was generated, on every answer about it.
    public static let originalCharacterCost = HTTPField.Name("x-original-character-cost")!
    /// Which book audio made through the SDK-compatible doors belongs to (or query `book_id`).
    public static let xVoiceVaultBook = HTTPField.Name("x-voicevault-book")!
    /// Which text a timing export follows: `written` or `spoken` (`TimingsText`).
    public static let xVoiceVaultTimings = HTTPField.Name("x-voicevault-timings")!

    // TUS 1.0.0 (resumable uploads).
    public static let tusResumable = HTTPField.Name("tus-resumable")!
    public static let tusVersion = HTTPField.Name("tus-version")!
    public static let tusExtension = HTTPField.Name("tus-extension")!
    public static let tusMaxSize = HTTPField.Name("tus-max-size")!
    public static let uploadLength = HTTPField.Name("upload-length")!
    public static let uploadOffset = HTTPField.Name("upload-offset")!
    public static let uploadMetadata = HTTPField.Name("upload-metadata")!
    public static let uploadDeferLength = HTTPField.Name("upload-defer-length")!
    public static let uploadExpires = HTTPField.Name("upload-expires")!
    /// Supabase's resumable `/sign` routes: an upload token (from `object/upload/sign`) instead of a key.
    public static let xSignature = HTTPField.Name("x-signature")!
}
