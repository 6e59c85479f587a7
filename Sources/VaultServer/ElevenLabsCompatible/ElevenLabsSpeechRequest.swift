import Foundation
import VaultCore

/// A text-to-speech request as the ElevenLabs SDKs send it (`POST /v1/text-to-speech/{voice_id}...`): the JSON
/// body and the query, turned into the same `SpeechSpec` that `POST /api/voice` makes, so both doors share one
/// cache.
///
/// Every field either shapes the hash or is refused; none is silently dropped, because a dropped field would
/// let the cache answer with audio made without it. `null` is the same as absent (the SDKs send `null` for
/// unset arguments); key order and number spelling cannot matter, since the body is compared as parsed values.
struct ElevenLabsSpeechRequest: Sendable {
    let spec: SpeechSpec

    /// Top-level body fields, each shaping the hash or refused.
    static let knownFields: Set<String> = [
        "text", "model_id", "language_code", "voice_settings", "seed", "previous_text", "next_text",
        "previous_request_ids", "next_request_ids", "apply_text_normalization", "apply_language_text_normalization",
        "use_pvc_as_ivc", "pronunciation_dictionary_locators", "audio_effects",
    ]
    static let knownSettings: Set<String> = ["stability", "similarity_boost", "style", "use_speaker_boost", "speed", "clone_strength"]

    /// - Parameters:
    ///   - query: `output_format`, `enable_logging`, `optimize_streaming_latency`.
    static func parse(voiceId: String, body: [UInt8], query: [String: String], maximumTextCharacters: Int)
        throws(APIError) -> ElevenLabsSpeechRequest
    {
        let fields = try JSONValue.fields(ofBody: body)
        if let unknown = fields.keys.filter({ !knownFields.contains($0) }).sorted().first {
            throw APIError(
                .badRequest, code: "unknown_field",
                message: "\(unknown) is not a field VoiceVault knows; it is refused rather than ignored, as it might shape the audio")
        }
        let previousAssets = try stitchedAssets(fields["previous_request_ids"], "previous_request_ids")
        let nextAssets = try stitchedAssets(fields["next_request_ids"], "next_request_ids")
        try refuseAudioEffects(fields["audio_effects"])
        guard let textValue = fields["text"] else { throw APIError.missing("text") }
        let text = try string(textValue, "text")
        var settings = [String: JSONValue]()
        if let value = fields["voice_settings"] {
            guard case let .object(object) = value else { throw invalid("voice_settings", "an object") }
            settings = object.compactMapValues(\.present)
            if let unknown = settings.keys.filter({ !knownSettings.contains($0) }).sorted().first {
                throw APIError(
                    .badRequest, code: "unknown_field", message: "voice_settings.\(unknown) is not a voice setting VoiceVault knows")
            }
        }
        var latency = 0
        if let raw = query["optimize_streaming_latency"], !raw.isEmpty {
            guard let value = Int(raw), (0...4).contains(value) else { throw invalid("optimize_streaming_latency", "0 to 4") }
            latency = value
        }
        if let raw = query["enable_logging"], !["true", "false"].contains(raw) {
            throw invalid("enable_logging", "true or false")
        }
        var normalization = SpeechExtensions.TextNormalization.auto
        if let value = fields["apply_text_normalization"] {
            guard let mode = SpeechExtensions.TextNormalization(rawValue: try string(value, "apply_text_normalization")) else {
                throw invalid("apply_text_normalization", "auto, on or off")
            }
            normalization = mode
        }
        var dictionaries = [SpeechExtensions.DictionaryLocator]()
        if let value = fields["pronunciation_dictionary_locators"] {
            guard case let .array(items) = value else { throw invalid("pronunciation_dictionary_locators", "an array") }
            for item in items { dictionaries.append(try dictionary(item)) }
        }
        let languageNormalization = try optionalBool(fields["apply_language_text_normalization"], "apply_language_text_normalization")
        let usePvcAsIvc = try optionalBool(fields["use_pvc_as_ivc"], "use_pvc_as_ivc")
        let cloneStrength = try optionalNumber(settings["clone_strength"], "voice_settings.clone_strength")
        let stability = try optionalNumber(settings["stability"], "voice_settings.stability")
        let similarity = try optionalNumber(settings["similarity_boost"], "voice_settings.similarity_boost")
        let style = try optionalNumber(settings["style"], "voice_settings.style")
        let speakerBoost = try optionalBool(settings["use_speaker_boost"], "voice_settings.use_speaker_boost")
        let speed = try optionalNumber(settings["speed"], "voice_settings.speed")
        var seed: Int64?
        if let number = try optionalNumber(fields["seed"], "seed") {
            guard number.rounded() == number, let integer = Int64(exactly: number) else { throw invalid("seed", "an integer") }
            seed = integer
        }
        let model = try optionalString(fields["model_id"], "model_id")
        let language = try optionalString(fields["language_code"], "language_code")
        let previousText = try optionalString(fields["previous_text"], "previous_text")
        let nextText = try optionalString(fields["next_text"], "next_text")
        let spec: SpeechSpec
        do {
            let extensions = try SpeechExtensions(
                textNormalization: normalization, languageTextNormalization: languageNormalization ?? false,
                usePvcAsIvc: usePvcAsIvc ?? false, pronunciationDictionaries: dictionaries, cloneStrength: cloneStrength,
                optimizeStreamingLatency: latency)
            let stitching = try RequestStitching(previousAssets: previousAssets, nextAssets: nextAssets)
            let voiceSettings = try VoiceSettings(
                stability: stability, similarityBoost: similarity, style: style, useSpeakerBoost: speakerBoost, speed: speed)
            spec = try SpeechSpec(
                text: text, voiceId: voiceId, modelId: model,
                outputFormat: query["output_format"].flatMap { $0.isEmpty ? nil : $0 }, languageCode: language,
                seed: seed, voiceSettings: voiceSettings, previousText: previousText, nextText: nextText,
                extensions: extensions, stitching: stitching, maximumTextLength: maximumTextCharacters)
        } catch {
            throw APIError(.badRequest, code: error.code, message: error.description)
        }
        try requireStoredFormat(spec)
        return ElevenLabsSpeechRequest(spec: spec)
    }

    /// `audio_effects`: an empty object asks for none; any effect is refused (not supported yet).
    static func refuseAudioEffects(_ value: JSONValue?) throws(APIError) {
        if case let .object(effects)? = value, effects.compactMapValues(\.present).isEmpty { return }
        guard value == nil else {
            throw APIError(
                .badRequest, code: "unsupported_field",
                message: "audio_effects is not supported by VoiceVault yet; generate without it")
        }
    }

    /// Refuses the formats VoiceVault does not store yet.
    static func requireStoredFormat(_ spec: SpeechSpec) throws(APIError) {
        guard OutputFormat.mp3.contains(spec.outputFormat) else {
            throw APIError(
                .badRequest, code: "unknown_format",
                message:
                    "output_format '\(spec.outputFormat)' is not stored; use one of \(OutputFormat.mp3.sorted().joined(separator: ", "))")
        }
    }

    /// The assets named by `previous_request_ids` / `next_request_ids`: each must be a `request-id` VoiceVault
    /// gave out (`StitchingRequestId`); upstream's own ids mean nothing here, and VoiceVault's mean nothing
    /// upstream, so an id of another shape is refused rather than forwarded.
    static func stitchedAssets(_ value: JSONValue?, _ field: String) throws(APIError) -> [SHA256Digest] {
        guard let value else { return [] }
        guard case let .array(items) = value else { throw invalid(field, "an array of request ids") }
        var assets = [SHA256Digest]()
        for item in items {
            let id = try string(item, field)
            guard let asset = StitchingRequestId.asset(of: id) else {
                throw APIError(
                    .badRequest, code: "unknown_request_id",
                    message: "\(field) names '\(id.prefix(100))', which is not a request-id VoiceVault gave out")
            }
            assets.append(asset)
        }
        return assets
    }

    static func optionalString(_ value: JSONValue?, _ field: String) throws(APIError) -> String? {
        guard let value else { return nil }
        return try string(value, field)
    }

    static func optionalNumber(_ value: JSONValue?, _ field: String) throws(APIError) -> Double? {
        guard let value else { return nil }
        return try number(value, field)
    }

    static func optionalBool(_ value: JSONValue?, _ field: String) throws(APIError) -> Bool? {
        guard let value else { return nil }
        return try bool(value, field)
    }

    static func dictionary(_ item: JSONValue) throws(APIError) -> SpeechExtensions.DictionaryLocator {
        guard case let .object(object) = item, let id = object["pronunciation_dictionary_id"]?.present else {
            throw invalid("pronunciation_dictionary_locators", "objects with pronunciation_dictionary_id and version_id")
        }
        guard let version = object["version_id"]?.present else {
            throw APIError(
                .badRequest, code: "dictionary_version_required",
                message:
                    "pronunciation dictionary locators need a version_id: 'latest' can change, and the cache must know which version made the audio"
            )
        }
        let idText = try string(id, "pronunciation_dictionary_id")
        let versionText = try string(version, "version_id")
        do {
            return try SpeechExtensions.DictionaryLocator(dictionaryId: idText, versionId: versionText)
        } catch {
            throw APIError(.badRequest, code: error.code, message: error.description)
        }
    }

    static func invalid(_ field: String, _ expected: String) -> APIError {
        APIError(.badRequest, code: "invalid_field", message: "\(field) must be \(expected)")
    }

    static func string(_ value: JSONValue, _ field: String) throws(APIError) -> String {
        guard case let .string(text) = value else { throw invalid(field, "a string") }
        return text
    }

    static func number(_ value: JSONValue, _ field: String) throws(APIError) -> Double {
        guard case let .number(number) = value else { throw invalid(field, "a number") }
        return number
    }

    static func bool(_ value: JSONValue, _ field: String) throws(APIError) -> Bool {
        guard case let .bool(flag) = value else { throw invalid(field, "true or false") }
        return flag
    }
}
