import Foundation
import VaultCore

/// OpenAI's `POST /v1/audio/speech` body (`model`, `voice`, `input`, `response_format`, `speed`), mapped onto
/// the ElevenLabs speech it stands for, so the `openai` SDKs and tools that speak that API share the cache:
///
/// - `voice` is an ElevenLabs voice id; `input` the text;
/// - `model` is an ElevenLabs model id when it looks like one (`eleven_...`); OpenAI's own names (`tts-1`,
///   `tts-1-hd`, `gpt-4o-mini-tts`) mean the default ElevenLabs model;
/// - `speed` is the voice setting `speed` (ElevenLabs allows 0.7-1.2 of OpenAI's 0.25-4);
/// - only `mp3` is stored; `instructions` and server-sent events have no ElevenLabs equivalent and are refused.
/// Everything else a speech request can say takes its default, so the same text and voice through
/// `/api/voice` with defaults is the same hash.
struct OpenAISpeechRequest: Sendable {
    let spec: SpeechSpec

    static let knownFields: Set<String> = ["model", "voice", "input", "response_format", "speed", "instructions", "stream_format"]

    static func parse(body: [UInt8], maximumTextCharacters: Int) throws(APIError) -> OpenAISpeechRequest {
        let fields = try JSONValue.fields(ofBody: body)
        if let unknown = fields.keys.filter({ !knownFields.contains($0) }).sorted().first {
            throw APIError(.badRequest, code: "unknown_field", message: "\(unknown) is not a field of /v1/audio/speech VoiceVault knows")
        }
        if fields["instructions"] != nil {
            throw APIError(.badRequest, code: "unsupported_field", message: "instructions has no ElevenLabs equivalent; leave it out")
        }
        if let format = fields["stream_format"], format != .string("audio") {
            throw APIError(
                .badRequest, code: "unsupported_field", message: "stream_format must be audio (server-sent events are not offered)")
        }
        let input = try ElevenLabsSpeechRequest.optionalString(fields["input"], "input")
        let voice = try ElevenLabsSpeechRequest.optionalString(fields["voice"], "voice")
        let model = try ElevenLabsSpeechRequest.optionalString(fields["model"], "model")
        let format = try ElevenLabsSpeechRequest.optionalString(fields["response_format"], "response_format") ?? "mp3"
        let speed = try ElevenLabsSpeechRequest.optionalNumber(fields["speed"], "speed")
        guard let input else { throw APIError.missing("input") }
        guard let voice else { throw APIError.missing("voice") }
        // AAC and FLAC are formats ElevenLabs does not make: answering them would mean transcoding, which
        // VoiceVault never does. Opus, WAV and PCM it makes; VoiceVault does not store them yet.
        guard !["aac", "flac"].contains(format) else {
            throw APIError(
                .badRequest, code: "format_not_produced_upstream",
                message: "response_format '\(format)' is not a format ElevenLabs produces, and VoiceVault never transcodes; use mp3")
        }
        guard format == "mp3" else {
            throw APIError(.badRequest, code: "unknown_format", message: "response_format '\(format.prefix(40))' is not stored; use mp3")
        }
        do {
            let spec = try SpeechSpec(
                text: input, voiceId: voice, modelId: model.flatMap { $0.hasPrefix("eleven_") ? $0 : nil },
                voiceSettings: try VoiceSettings(speed: speed), maximumTextLength: maximumTextCharacters)
            return OpenAISpeechRequest(spec: spec)
        } catch {
            throw APIError(.badRequest, code: error.code, message: error.description)
        }
    }
}
