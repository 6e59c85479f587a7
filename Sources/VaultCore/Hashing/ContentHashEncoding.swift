/// The canonical byte encoding that is hashed to form a content hash.
///
/// Plain concatenation is ambiguous ("ab"+"c" = "a"+"bc"), so every field is written with its name and its
/// UTF-8 byte length, in a fixed order, and absent optional fields are written as absent rather than skipped:
///
///     VVCH1\n
///     text=<n>:<n bytes>\n        (present field)
///     language_code!\n            (absent optional field)
///
/// A new field or rule means a new version line (`VVCH2`): old hashes stay valid for the audio they name.
public enum ContentHashEncoding {
    public static let v1Magic = "VVCH1"
    public static let v2Magic = "VVCH2"
    public static let v3Magic = "VVCH3"

    public static func v1(_ spec: SpeechSpec) -> [UInt8] {
        fields(spec, magic: v1Magic, extended: false, stitched: false)
    }

    /// `VVCH1`'s thirteen fields under its own magic, then the six of `SpeechExtensions`.
    public static func v2(_ spec: SpeechSpec) -> [UInt8] {
        fields(spec, magic: v2Magic, extended: true, stitched: false)
    }

    /// `VVCH2`'s nineteen fields under its own magic, then the stitched assets of each side.
    public static func v3(_ spec: SpeechSpec) -> [UInt8] {
        fields(spec, magic: v3Magic, extended: true, stitched: true)
    }

    static func fields(_ spec: SpeechSpec, magic: String, extended: Bool, stitched: Bool) -> [UInt8] {
        var out = Array((magic + "\n").utf8)
        out.reserveCapacity(spec.text.utf8.count + 512)
        func field(_ name: String, _ value: String?) { append(name, value, to: &out) }
        let settings = spec.voiceSettings
        field("text", spec.text)
        field("voice_id", spec.voiceId)
        field("model_id", spec.modelId)
        field("output_format", spec.outputFormat)
        field("language_code", spec.languageCode)
        field("seed", spec.seed.map { String($0) })
        field("stability", VoiceSettings.decimalString(settings.stabilityE4))
        field("similarity_boost", VoiceSettings.decimalString(settings.similarityBoostE4))
        field("style", VoiceSettings.decimalString(settings.styleE4))
        field("use_speaker_boost", settings.useSpeakerBoost ? "true" : "false")
        field("speed", VoiceSettings.decimalString(settings.speedE4))
        field("previous_text", spec.previousText)
        field("next_text", spec.nextText)
        if extended {
            let extensions = spec.extensions
            field("text_normalization", extensions.textNormalization.rawValue)
            field("language_text_normalization", extensions.languageTextNormalization ? "true" : "false")
            field("use_pvc_as_ivc", extensions.usePvcAsIvc ? "true" : "false")
            field("pronunciation_dictionaries", extensions.dictionariesField)
            field("clone_strength", extensions.cloneStrengthE4.map(VoiceSettings.decimalString))
            field("optimize_streaming_latency", String(extensions.optimizeStreamingLatency))
        }
        if stitched {
            field("previous_assets", RequestStitching.field(spec.stitching.previousAssets))
            field("next_assets", RequestStitching.field(spec.stitching.nextAssets))
        }
        return out
    }

    /// One field: `name=<utf8 length>:<value>\n`, or `name!\n` when absent.
    static func append(_ name: String, _ value: String?, to out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        guard let value else {
            out.append(contentsOf: "!\n".utf8)
            return
        }
        out.append(contentsOf: "=\(value.utf8.count):".utf8)
        out.append(contentsOf: value.utf8)
        out.append(UInt8(ascii: "\n"))
    }
}
