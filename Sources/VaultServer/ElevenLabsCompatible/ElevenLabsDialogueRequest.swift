import VaultCore

/// A text-to-dialogue request as the ElevenLabs SDKs send it (`POST /v1/text-to-dialogue...`): `inputs` (each
/// `{text, voice_id}`) and the fields that shape a dialogue, turned into a dialogue `SpeechSpec` (hashed as
/// `VVCD1`), so it is cached like any speech.
///
/// As for speech, every field shapes the hash or is refused, and `null` is the same as absent. Validated as
/// upstream does: at most ten voices, and no more characters over all lines than the model takes in one request
/// (a dialogue is one generation; it is never cut into chunks).
enum ElevenLabsDialogueRequest {
    static let knownFields: Set<String> = [
        "inputs", "model_id", "language_code", "settings", "seed", "previous_text", "future_text",
        "pronunciation_dictionary_locators", "apply_text_normalization", "use_pvc_as_ivc", "previous_request_ids",
        "next_request_ids", "audio_effects",
    ]
    static let knownSettings: Set<String> = ["stability", "similarity", "clone_strength"]

    static func parse(body: [UInt8], query: [String: String], maximumTextCharacters: Int) throws(APIError) -> SpeechSpec {
        let fields = try JSONValue.fields(ofBody: body)
        if let unknown = fields.keys.filter({ !knownFields.contains($0) }).sorted().first {
            throw APIError(
                .badRequest, code: "unknown_field",
                message: "\(unknown) is not a field VoiceVault knows; it is refused rather than ignored, as it might shape the audio")
        }
        try ElevenLabsSpeechRequest.refuseAudioEffects(fields["audio_effects"])
        if let raw = query["enable_logging"], !["true", "false"].contains(raw) {
            throw ElevenLabsSpeechRequest.invalid("enable_logging", "true or false")
        }
        if let raw = query["optimize_streaming_latency"], !raw.isEmpty {
            throw ElevenLabsSpeechRequest.invalid("optimize_streaming_latency", "absent: a dialogue does not take it")
        }
        guard let inputsValue = fields["inputs"] else { throw APIError.missing("inputs") }
        guard case let .array(items) = inputsValue else { throw ElevenLabsSpeechRequest.invalid("inputs", "an array of {text, voice_id}") }
        guard items.count <= DialogueScript.maximumLines else {
            throw ElevenLabsSpeechRequest.invalid("inputs", "at most \(DialogueScript.maximumLines) lines")
        }
        var lines = [(text: String, voiceId: String)]()
        for (index, item) in items.enumerated() {
            guard case let .object(line) = item, let text = line["text"]?.present, let voice = line["voice_id"]?.present,
                line.keys.allSatisfy({ $0 == "text" || $0 == "voice_id" })
            else { throw ElevenLabsSpeechRequest.invalid("inputs[\(index)]", "an object with text and voice_id") }
            lines.append(
                (
                    try ElevenLabsSpeechRequest.string(text, "inputs[\(index)].text"),
                    try ElevenLabsSpeechRequest.string(voice, "inputs[\(index)].voice_id")
                ))
        }
        var settings = [String: JSONValue]()
        if let value = fields["settings"] {
            guard case let .object(object) = value else { throw ElevenLabsSpeechRequest.invalid("settings", "an object") }
            settings = object.compactMapValues(\.present)
            if let unknown = settings.keys.filter({ !knownSettings.contains($0) }).sorted().first {
                throw APIError(
                    .badRequest, code: "unknown_field", message: "settings.\(unknown) is not a dialogue setting VoiceVault knows")
            }
        }
        var normalization = SpeechExtensions.TextNormalization.auto
        if let value = fields["apply_text_normalization"] {
            let text = try ElevenLabsSpeechRequest.string(value, "apply_text_normalization")
            guard let mode = SpeechExtensions.TextNormalization(rawValue: text) else {
                throw ElevenLabsSpeechRequest.invalid("apply_text_normalization", "auto, on or off")
            }
            normalization = mode
        }
        var dictionaries = [SpeechExtensions.DictionaryLocator]()
        if let value = fields["pronunciation_dictionary_locators"] {
            guard case let .array(items) = value else {
                throw ElevenLabsSpeechRequest.invalid("pronunciation_dictionary_locators", "an array")
            }
            for item in items { dictionaries.append(try ElevenLabsSpeechRequest.dictionary(item)) }
        }
        var seed: Int64?
        if let number = try ElevenLabsSpeechRequest.optionalNumber(fields["seed"], "seed") {
            guard number.rounded() == number, let integer = Int64(exactly: number) else {
                throw ElevenLabsSpeechRequest.invalid("seed", "an integer")
            }
            seed = integer
        }
        let model = try ElevenLabsSpeechRequest.optionalString(fields["model_id"], "model_id")
        let spec: SpeechSpec
        do {
            let script = try DialogueScript(
                lines: lines, stability: try ElevenLabsSpeechRequest.optionalNumber(settings["stability"], "settings.stability"),
                similarity: try ElevenLabsSpeechRequest.optionalNumber(settings["similarity"], "settings.similarity"))
            let extensions = try SpeechExtensions(
                textNormalization: normalization,
                usePvcAsIvc: try ElevenLabsSpeechRequest.optionalBool(fields["use_pvc_as_ivc"], "use_pvc_as_ivc") ?? false,
                pronunciationDictionaries: dictionaries,
                cloneStrength: try ElevenLabsSpeechRequest.optionalNumber(settings["clone_strength"], "settings.clone_strength"))
            spec = try SpeechSpec(
                dialogue: script, modelId: model, outputFormat: query["output_format"].flatMap { $0.isEmpty ? nil : $0 },
                languageCode: try ElevenLabsSpeechRequest.optionalString(fields["language_code"], "language_code"), seed: seed,
                previousText: try ElevenLabsSpeechRequest.optionalString(fields["previous_text"], "previous_text"),
                nextText: try ElevenLabsSpeechRequest.optionalString(fields["future_text"], "future_text"),
                extensions: extensions,
                stitching: RequestStitching(
                    previousAssets: try ElevenLabsSpeechRequest.stitchedAssets(fields["previous_request_ids"], "previous_request_ids"),
                    nextAssets: try ElevenLabsSpeechRequest.stitchedAssets(fields["next_request_ids"], "next_request_ids")),
                maximumTextLength: maximumTextCharacters)
        } catch let error as SpeechSpecError {
            throw APIError(.badRequest, code: error.code, message: error.description)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, code: "invalid_request", message: "\(error)")
        }
        try ElevenLabsSpeechRequest.requireStoredFormat(spec)
        return spec
    }
}
