/// The binary layout of a stored `SpeechAlignment` (the `alignments` LMDB database, the catalog's `alignment`):
///
///     "VVA1" count:u32 { length:u8 utf8[length] start:u32 end:u32 }*count      (big-endian)
///     "VVA2" count:u32 {entry}*count spokenCount:u32 {entry}*spokenCount      (with the spoken text)
///     "VVA3" count:u32 {entry}*count hasSpoken:u8 [spokenCount:u32 {entry}*spokenCount]
///            segments:u32 { length:u8 voice[length] start:u32 end:u32 from:u32 to:u32 line:u32 }*segments
///                                                                               (a dialogue's voices)
///
/// An alignment without a spoken text is written as `VVA1`, byte for byte as before the spoken text was kept.
/// Nine bytes and the character per entry: a 10,000-character chapter is about 100 KB, against 300 KB as
/// ElevenLabs' JSON. Decoding checks every length, so a damaged value is an error, never a crash.
public enum SpeechAlignmentCodec {
    static let magic: [UInt8] = Array("VVA1".utf8)
    static let spokenMagic: [UInt8] = Array("VVA2".utf8)
    static let voicesMagic: [UInt8] = Array("VVA3".utf8)

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case badMagic
        case truncated
        case characterTooLong(Int)
        case invalidUTF8

        public var description: String {
            switch self {
            case .badMagic: "not a stored alignment (bad magic)"
            case .truncated: "the stored alignment is truncated"
            case let .characterTooLong(length): "an alignment entry of \(length) bytes (at most 255)"
            case .invalidUTF8: "an alignment entry is not UTF-8"
            }
        }
    }

    public static func encode(_ alignment: SpeechAlignment) throws(Failure) -> [UInt8] {
        var out = alignment.voices != nil ? voicesMagic : alignment.spoken == nil ? magic : spokenMagic
        out.reserveCapacity(12 + (alignment.characters.count + (alignment.spoken?.count ?? 0)) * 10)
        try append(alignment.characters, to: &out)
        if let voices = alignment.voices {
            out.append(alignment.spoken == nil ? 0 : 1)
            if let spoken = alignment.spoken { try append(spoken, to: &out) }
            append(UInt32(clamping: voices.count), to: &out)
            for segment in voices {
                try appendText(segment.voiceId, to: &out)
                for value in [
                    segment.startMilliseconds, segment.endMilliseconds, UInt32(clamping: segment.characterStart),
                    UInt32(clamping: segment.characterEnd), UInt32(clamping: segment.line),
                ] { append(value, to: &out) }
            }
        } else if let spoken = alignment.spoken {
            try append(spoken, to: &out)
        }
        return out
    }

    static func append(_ characters: [SpeechAlignment.Character], to out: inout [UInt8]) throws(Failure) {
        append(UInt32(clamping: characters.count), to: &out)
        for character in characters {
            try appendText(character.text, to: &out)
            append(character.startMilliseconds, to: &out)
            append(character.endMilliseconds, to: &out)
        }
    }

    /// A length byte and the UTF-8 (a character entry's text, a segment's voice id).
    static func appendText(_ text: String, to out: inout [UInt8]) throws(Failure) {
        let utf8 = Array(text.utf8)
        guard utf8.count <= 255 else { throw .characterTooLong(utf8.count) }
        out.append(UInt8(utf8.count))
        out.append(contentsOf: utf8)
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> SpeechAlignment {
        guard bytes.count >= 8 else { throw .badMagic }
        let head = Array(bytes[0..<4])
        guard head == magic || head == spokenMagic || head == voicesMagic else { throw .badMagic }
        var cursor = 4
        func readUInt32() throws(Failure) -> UInt32 {
            guard cursor + 4 <= bytes.count else { throw .truncated }
            defer { cursor += 4 }
            return UInt32(bytes[cursor]) << 24 | UInt32(bytes[cursor + 1]) << 16 | UInt32(bytes[cursor + 2]) << 8
                | UInt32(bytes[cursor + 3])
        }
        func readText() throws(Failure) -> String {
            guard cursor < bytes.count else { throw .truncated }
            let length = Int(bytes[cursor])
            cursor += 1
            guard cursor + length <= bytes.count else { throw .truncated }
            guard let text = String(validating: bytes[cursor..<(cursor + length)], as: UTF8.self) else { throw .invalidUTF8 }
            cursor += length
            return text
        }
        func readCharacters() throws(Failure) -> [SpeechAlignment.Character] {
            let count = Int(try readUInt32())
            // Each entry takes at least nine bytes: a count larger than the value can hold is damage.
            guard count <= (bytes.count - cursor) / 9 else { throw .truncated }
            var characters = [SpeechAlignment.Character]()
            characters.reserveCapacity(count)
            for _ in 0..<count {
                let text = try readText()
                let start = try readUInt32()
                let end = try readUInt32()
                characters.append(.init(text: text, startMilliseconds: start, endMilliseconds: end))
            }
            return characters
        }
        let characters = try readCharacters()
        var spoken: [SpeechAlignment.Character]?
        var voices: [SpeechAlignment.VoiceSegment]?
        if head == spokenMagic {
            spoken = try readCharacters()
        } else if head == voicesMagic {
            guard cursor < bytes.count else { throw .truncated }
            let hasSpoken = bytes[cursor]
            cursor += 1
            if hasSpoken == 1 { spoken = try readCharacters() }
            let count = Int(try readUInt32())
            // Each segment takes at least 21 bytes.
            guard count <= (bytes.count - cursor) / 21 else { throw .truncated }
            var segments = [SpeechAlignment.VoiceSegment]()
            segments.reserveCapacity(count)
            for _ in 0..<count {
                let voice = try readText()
                let (start, end, from, to, line) = (
                    try readUInt32(), try readUInt32(), try readUInt32(), try readUInt32(), try readUInt32()
                )
                segments.append(
                    .init(
                        voiceId: voice, startMilliseconds: start, endMilliseconds: end, characterStart: Int(from), characterEnd: Int(to),
                        line: Int(line)))
            }
            voices = segments
        }
        guard cursor == bytes.count else { throw .truncated }
        return SpeechAlignment(characters: characters, spoken: spoken, voices: voices)
    }

    public static func decode(_ bytes: [UInt8]) throws(Failure) -> SpeechAlignment {
        let result = bytes.withUnsafeBytes { buffer in Result<SpeechAlignment, Failure> { () throws(Failure) in try decode(buffer) } }
        return try result.get()
    }

    static func append(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(value >> 24))
        out.append(UInt8(value >> 16 & 0xFF))
        out.append(UInt8(value >> 8 & 0xFF))
        out.append(UInt8(value & 0xFF))
    }
}
