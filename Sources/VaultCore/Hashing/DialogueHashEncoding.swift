/// The canonical encoding of a dialogue (Docs/HASHING.md, `VVCD1`): a kind of its own, so that no dialogue hashes
/// like any speech request. The fields that apply to a dialogue in a fixed order, written as in `VVCH1`
/// (`name=<len>:<value>` or `name!`), then the number of lines and each line's voice and text in order.
public enum DialogueHashEncoding {
    public static let v1Magic = "VVCD1"

    public static func v1(_ spec: SpeechSpec) -> [UInt8] {
        var out = Array((v1Magic + "\n").utf8)
        out.reserveCapacity(spec.text.utf8.count + 512)
        func field(_ name: String, _ value: String?) { ContentHashEncoding.append(name, value, to: &out) }
        let extensions = spec.extensions
        field("model_id", spec.modelId)
        field("output_format", spec.outputFormat)
        field("language_code", spec.languageCode)
        field("seed", spec.seed.map { String($0) })
        field("stability", spec.dialogue?.stabilityE4.map(VoiceSettings.decimalString))
        field("similarity", spec.dialogue?.similarityE4.map(VoiceSettings.decimalString))
        field("clone_strength", extensions.cloneStrengthE4.map(VoiceSettings.decimalString))
        field("text_normalization", extensions.textNormalization.rawValue)
        field("use_pvc_as_ivc", extensions.usePvcAsIvc ? "true" : "false")
        field("pronunciation_dictionaries", extensions.dictionariesField)
        field("previous_text", spec.previousText)
        field("next_text", spec.nextText)
        field("previous_assets", RequestStitching.field(spec.stitching.previousAssets))
        field("next_assets", RequestStitching.field(spec.stitching.nextAssets))
        let lines = spec.dialogue?.lines ?? []
        field("lines", String(lines.count))
        for line in lines {
            field("voice_id", line.voiceId)
            field("text", line.text)
        }
        return out
    }
}
