import Foundation
import NIOCore
import VaultCore

/// ElevenLabs' with-timestamps object, `{"audio_base64","alignment","normalized_alignment"}`: the whole answer
/// of `/with-timestamps`, and one line of `/stream/with-timestamps`.
///
/// `normalized_alignment` is the spoken text's timings as upstream sent them with the generation
/// (`SpeechAlignment.spoken`), else `null`, as ElevenLabs itself sends it when it has none.
///
/// A dialogue's answers add `voice_segments` (who speaks when; required by the SDKs' dialogue models, so an
/// empty list when nothing is known).
struct TimestampedAudioJSON: Encodable {
    let audio: ArraySlice<UInt8>
    let alignment: SpeechAlignment?
    var dialogue = false

    enum Keys: String, CodingKey {
        case audio_base64, alignment, normalized_alignment, voice_segments
    }

    struct Segment: Encodable {
        let voice_id: String
        let start_time_seconds: Double
        let end_time_seconds: Double
        let character_start_index: Int
        let character_end_index: Int
        let dialogue_input_index: Int

        init(_ segment: SpeechAlignment.VoiceSegment) {
            voice_id = segment.voiceId
            start_time_seconds = segment.startSeconds
            end_time_seconds = segment.endSeconds
            character_start_index = segment.characterStart
            character_end_index = segment.characterEnd
            dialogue_input_index = segment.line
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(Data(audio).base64EncodedString(), forKey: .audio_base64)
        try container.encode(alignment.map { AlignmentJSON.Characters($0.characters) }, forKey: .alignment)
        try container.encode(alignment?.spoken.map(AlignmentJSON.Characters.init), forKey: .normalized_alignment)
        if dialogue {
            try container.encode((alignment?.voices ?? []).map(Segment.init), forKey: .voice_segments)
        }
    }

    /// Compact JSON; `JSONEncoder` escapes every control character, so a line never contains a raw line feed.
    func encoded() throws -> Data {
        try JSONEncoder().encode(self)
    }

    /// One line of a timestamped stream: the object and its line feed (the JS SDK loses a last line without one).
    func line() throws -> ByteBuffer {
        var line = try encoded()
        line.append(0x0A)
        return ByteBuffer(data: line)
    }
}
