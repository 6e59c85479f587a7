import Foundation
import NIOCore
import VaultCore

/// ElevenLabs' with-timestamps object, `{"audio_base64","alignment","normalized_alignment"}`: the whole answer
/// of `/with-timestamps`, and one line of `/stream/with-timestamps`.
///
/// `normalized_alignment` is always `null`: VoiceVault stores the alignment that follows the request's text
/// (the one listen mode and captions need), not ElevenLabs' second one over its normalised spelling. The SDKs
/// accept `null` there, as ElevenLabs itself sends it.
struct TimestampedAudioJSON: Encodable {
    let audio: ArraySlice<UInt8>
    let alignment: SpeechAlignment?

    enum Keys: String, CodingKey {
        case audio_base64, alignment, normalized_alignment
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(Data(audio).base64EncodedString(), forKey: .audio_base64)
        if let alignment {
            try container.encode(
                AlignmentJSON.Characters(
                    characters: alignment.characters.map(\.text),
                    character_start_times_seconds: alignment.characters.map(\.startSeconds),
                    character_end_times_seconds: alignment.characters.map(\.endSeconds)), forKey: .alignment)
        } else {
            try container.encodeNil(forKey: .alignment)
        }
        try container.encodeNil(forKey: .normalized_alignment)
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
