/// The request fields that shape ElevenLabs audio beyond the thirteen of the first canonical encoding: what the
/// official SDKs can send and `VVCH1` has no line for. At their defaults they change nothing, and a spec
/// hashes with `VVCH1` exactly as before; any other value makes the encoding `VVCH2` (Docs/HASHING.md), so every
/// hash made before they existed still names its audio.
public struct SpeechExtensions: Sendable, Hashable {
    /// `apply_text_normalization`: whether ElevenLabs spells out numbers and abbreviations.
    public enum TextNormalization: String, Sendable, CaseIterable {
        case auto, on, off
    }

    /// A pronunciation dictionary at one version. The version is required: "latest" can change under the same
    /// request, and then one hash would name two different audios.
    public struct DictionaryLocator: Sendable, Hashable {
        public let dictionaryId: String
        public let versionId: String

        public init(dictionaryId: String, versionId: String) throws(SpeechSpecError) {
            guard SpeechSpec.isToken(dictionaryId, extra: "_-") else { throw .invalidField("pronunciation_dictionary_id", dictionaryId) }
            guard SpeechSpec.isToken(versionId, extra: "_-") else { throw .invalidField("version_id", versionId) }
            self.dictionaryId = dictionaryId
            self.versionId = versionId
        }
    }

    public var textNormalization: TextNormalization
    /// `apply_language_text_normalization` (Japanese): slower, more careful normalisation.
    public var languageTextNormalization: Bool
    /// `use_pvc_as_ivc`: use a professional voice clone's instant-clone version.
    public var usePvcAsIvc: Bool
    /// Applied in order, at most three.
    public var pronunciationDictionaries: [DictionaryLocator]
    /// `voice_settings.clone_strength`, quantised like the other settings; nil when not sent (the voice's own).
    public var cloneStrengthE4: Int?
    /// `optimize_streaming_latency` 0-4: higher trades quality for speed, so it shapes the audio.
    public var optimizeStreamingLatency: Int

    public static let maximumDictionaries = 3

    public static let none = SpeechExtensions()

    public init(
        textNormalization: TextNormalization = .auto, languageTextNormalization: Bool = false, usePvcAsIvc: Bool = false,
        pronunciationDictionaries: [DictionaryLocator] = [], cloneStrength: Double? = nil, optimizeStreamingLatency: Int = 0
    ) throws(SpeechSpecError) {
        guard pronunciationDictionaries.count <= Self.maximumDictionaries else {
            throw .invalidField("pronunciation_dictionary_locators", "at most \(Self.maximumDictionaries)")
        }
        guard (0...4).contains(optimizeStreamingLatency) else {
            throw .invalidField("optimize_streaming_latency", String(optimizeStreamingLatency))
        }
        self.textNormalization = textNormalization
        self.languageTextNormalization = languageTextNormalization
        self.usePvcAsIvc = usePvcAsIvc
        self.pronunciationDictionaries = pronunciationDictionaries
        self.cloneStrengthE4 = try cloneStrength.map { value throws(SpeechSpecError) in
            try VoiceSettings.quantize(value, field: "clone_strength", range: VoiceSettings.unitRange)
        }
        self.optimizeStreamingLatency = optimizeStreamingLatency
    }

    private init() {
        textNormalization = .auto
        languageTextNormalization = false
        usePvcAsIvc = false
        pronunciationDictionaries = []
        cloneStrengthE4 = nil
        optimizeStreamingLatency = 0
    }

    public var cloneStrength: Double? { cloneStrengthE4.map { Double($0) / 10_000 } }

    /// The encoding's value for the dictionaries: `id@version` joined by `;` in order (ids and versions are
    /// tokens, so neither separator can occur inside one); nil when there are none.
    var dictionariesField: String? {
        pronunciationDictionaries.isEmpty
            ? nil
            : pronunciationDictionaries.map { $0.dictionaryId + "@" + $0.versionId }.joined(separator: ";")
    }
}
