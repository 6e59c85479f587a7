/// Everything that shapes one piece of generated audio, validated and with every default applied.
///
/// Two requests that would make ElevenLabs produce the same audio produce equal specs, and so equal content
/// hashes. Fields that do not shape audio (bookId, chapterId, who asked) are deliberately absent.
public struct SpeechSpec: Sendable, Hashable {
    public static let defaultModelId = "eleven_multilingual_v2"
    /// The model a dialogue is generated with when it names none: ElevenLabs' dialogue model.
    public static let defaultDialogueModelId = "eleven_v3"
    /// The longest text a request may carry unless `VOICEVAULT_MAX_TEXT_CHARS` says otherwise: the server, its
    /// fuzz entry point and `voicevault import` all default to it.
    public static let defaultMaximumTextCharacters = 200_000

    /// Canonical text (see `CanonicalText`); this exact string is what goes upstream.
    public let text: String
    /// Unicode scalars in `text`: what ElevenLabs counts and bills, counted once here (every hit needs it, and
    /// counting walks the whole text).
    public private(set) var characterCount: Int
    /// The voice; a dialogue's first line's.
    public let voiceId: String
    public private(set) var modelId: String
    public let outputFormat: String
    /// Lower-cased ISO 639 code, or nil for ElevenLabs' automatic detection.
    public let languageCode: String?
    public let seed: UInt32?
    public let voiceSettings: VoiceSettings
    /// Stitching context: the neighbouring text, canonicalised; nil when absent or blank.
    public let previousText: String?
    public let nextText: String?
    /// Fields beyond `VVCH1`'s (`SpeechExtensions.none` for a request that sends none of them).
    public let extensions: SpeechExtensions
    /// The stored generations this one is spoken between (`VVCH3` when any).
    public var stitching: RequestStitching { rare?.value.stitching ?? .none }
    /// Set for a dialogue (`DialogueScript`): its lines are what is spoken, `text` is their texts joined, and
    /// the hash is `VVCD1`'s. The voice settings do not apply (a dialogue has its own).
    public private(set) var dialogue: DialogueScript? {
        get { rare?.value.dialogue }
        set { updateRare { $0.dialogue = newValue } }
    }
    /// How the upstream call names those neighbours, set when a stitched request misses (`VoiceService`); not
    /// hashed, since it depends on when the miss happens.
    public var upstreamContext: StitchingContext? {
        get { rare?.value.upstreamContext }
        set { updateRare { $0.upstreamContext = newValue } }
    }

    /// What only stitched requests and dialogues have, behind one reference that is nil for every other spec: a
    /// spec is copied several times on every hit, and these fields inline made each copy dearer (callgrind,
    /// Docs/PERFORMANCE.md).
    private var rare: Boxed<RareFields>?

    struct RareFields: Sendable, Hashable {
        var stitching: RequestStitching?
        var upstreamContext: StitchingContext?
        var dialogue: DialogueScript?

        var isEmpty: Bool { stitching == nil && upstreamContext == nil && dialogue == nil }
    }

    private mutating func updateRare(_ change: (inout RareFields) -> Void) {
        var fields = rare?.value ?? RareFields()
        change(&fields)
        rare = fields.isEmpty ? nil : Boxed(fields)
    }

    public init(
        text: String,
        voiceId: String,
        modelId: String? = nil,
        outputFormat: String? = nil,
        languageCode: String? = nil,
        seed: Int64? = nil,
        voiceSettings: VoiceSettings = .defaults,
        previousText: String? = nil,
        nextText: String? = nil,
        extensions: SpeechExtensions = .none,
        stitching: RequestStitching = .none,
        maximumTextLength: Int = .max
    ) throws(SpeechSpecError) {
        // Cheap checks first: a request that fails them never pays for normalising its text.
        guard Self.isToken(voiceId, extra: "_-") else { throw .invalidVoiceId(voiceId) }
        let model = modelId ?? Self.defaultModelId
        guard Self.isToken(model, extra: "_.-") else { throw .invalidModelId(model) }
        let format = outputFormat ?? OutputFormat.default
        guard OutputFormat.all.contains(format) else { throw .unknownOutputFormat(format) }
        var language: String?
        if let languageCode {
            let lowered = languageCode.lowercased()
            guard (2...3).contains(lowered.utf8.count), lowered.utf8.allSatisfy({ (97...122).contains($0) }) else {
                throw .invalidLanguageCode(languageCode)
            }
            language = lowered
        }
        var seedValue: UInt32?
        if let seed {
            guard let exact = UInt32(exactly: seed) else { throw .seedOutOfRange(seed) }
            seedValue = exact
        }
        // Then the shape of the text, in one linear pass each, before any normalisation: NFC of a long run of
        // combining marks is superlinear, so such text is refused, never normalised.
        try Self.checkShape(text, field: "text")
        for (field, context) in [("previousText", previousText), ("nextText", nextText)] {
            guard let context else { continue }
            let length = context.unicodeScalars.count
            guard length <= Self.maximumContextCharacters else {
                throw .contextTooLong(field: field, characters: length, limit: Self.maximumContextCharacters)
            }
            try Self.checkShape(context, field: field)
        }
        let canonical = CanonicalText.normalize(text)
        guard !canonical.isEmpty else { throw .emptyText }
        let length = canonical.unicodeScalars.count
        guard length <= maximumTextLength else { throw .textTooLong(characters: length, limit: maximumTextLength) }
        self.text = canonical
        self.characterCount = length
        self.voiceId = voiceId
        self.modelId = model
        self.outputFormat = format
        self.languageCode = language
        self.seed = seedValue
        self.voiceSettings = voiceSettings
        self.previousText = previousText.map(CanonicalText.normalize).flatMap { $0.isEmpty ? nil : $0 }
        self.nextText = nextText.map(CanonicalText.normalize).flatMap { $0.isEmpty ? nil : $0 }
        self.extensions = extensions
        self.rare = stitching.isEmpty ? nil : Boxed(RareFields(stitching: stitching))
    }

    /// A dialogue: `script`'s lines in their voices, with the fields of a speech request that apply to one. A
    /// dialogue is one generation, never cut into chunks, so its characters are bounded by the model's
    /// per-request limit (`ModelLimits`) as well as by `maximumTextLength`.
    public init(
        dialogue script: DialogueScript,
        modelId: String? = nil,
        outputFormat: String? = nil,
        languageCode: String? = nil,
        seed: Int64? = nil,
        previousText: String? = nil,
        nextText: String? = nil,
        extensions: SpeechExtensions = .none,
        stitching: RequestStitching = .none,
        maximumTextLength: Int = .max
    ) throws(SpeechSpecError) {
        let model = modelId ?? Self.defaultDialogueModelId
        let limit = min(maximumTextLength, ModelLimits.maximumCharacters(model: model))
        guard script.characterCount <= limit else { throw .textTooLong(characters: script.characterCount, limit: limit) }
        guard !extensions.languageTextNormalization, extensions.optimizeStreamingLatency == 0 else {
            throw .invalidField("dialogue", "apply_language_text_normalization and optimize_streaming_latency do not apply to a dialogue")
        }
        try self.init(
            text: script.text, voiceId: script.lines[0].voiceId, modelId: model,
            outputFormat: outputFormat, languageCode: languageCode, seed: seed, previousText: previousText, nextText: nextText,
            extensions: extensions, stitching: stitching)
        self.dialogue = script
        self.characterCount = script.characterCount
    }

    /// The same spec with other text and stitching context (one chunk of a long text).
    public func replacing(text: String, previousText: String?, nextText: String?) throws(SpeechSpecError) -> SpeechSpec {
        try rebuilt(text: text, modelId: modelId, previousText: previousText, nextText: nextText)
    }

    /// The same spec for another model. The text is already canonical, so it is not normalised again: a
    /// synthesizer that substitutes its model (the offline one) costs a hit nothing more.
    public func replacing(modelId: String) throws(SpeechSpecError) -> SpeechSpec {
        guard Self.isToken(modelId, extra: "_.-") else { throw .invalidModelId(modelId) }
        var copy = self
        copy.modelId = modelId
        return copy
    }

    /// Every other field carried over unchanged, through the validating initialiser: the one place a new
    /// field has to be added for both `replacing` variants.
    private func rebuilt(text: String, modelId: String, previousText: String?, nextText: String?)
        throws(SpeechSpecError) -> SpeechSpec
    {
        try SpeechSpec(
            text: text, voiceId: voiceId, modelId: modelId, outputFormat: outputFormat, languageCode: languageCode,
            seed: seed.map(Int64.init), voiceSettings: voiceSettings, previousText: previousText, nextText: nextText,
            extensions: extensions, stitching: stitching)
    }

    /// SHA-256 of `canonicalEncoding`: the key of the asset in the index and its file name on disk.
    public var contentHash: SHA256Digest { SHA256Digest.of(canonicalEncoding) }

    /// The versioned, length-prefixed encoding described in Docs/HASHING.md: `VVCH1` while every extension
    /// field is at its default (so hashes made before they existed stay the names of their audio), `VVCH2` when
    /// one is not, `VVCH3` when the request is stitched to stored generations.
    public var canonicalEncoding: [UInt8] {
        if dialogue != nil { return DialogueHashEncoding.v1(self) }
        if !stitching.isEmpty { return ContentHashEncoding.v3(self) }
        return extensions == .none ? ContentHashEncoding.v1(self) : ContentHashEncoding.v2(self)
    }

    /// Longest `previousText` / `nextText` accepted, in Unicode scalars as sent. Context shapes prosody at
    /// the edges only (long text sends at most 1,000 characters of it per chunk), so this is generous; without
    /// it a context field could carry megabytes of text to normalise and hash.
    public static let maximumContextCharacters = 10_000

    /// The text's shape, checked before any normalisation: no NUL, and stream-safe.
    static func checkShape(_ text: String, field: String) throws(SpeechSpecError) {
        if text.utf8.contains(0) { throw .textContainsNul(field: field) }
        if let run = CanonicalText.longestNonStarterRun(text, exceeding: CanonicalText.streamSafeNonStarterLimit) {
            throw .textNotStreamSafe(field: field, run: run)
        }
    }

    static func isToken(_ value: String, extra: String) -> Bool {
        let allowed = Set(extra.utf8)
        return (1...64).contains(value.utf8.count)
            && value.utf8.allSatisfy { byte in
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || allowed.contains(byte)
            }
    }
}
