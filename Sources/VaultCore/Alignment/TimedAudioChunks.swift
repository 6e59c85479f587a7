/// Cuts stored audio into pieces of about `targetMilliseconds` at MP3 frame boundaries, each with the
/// characters whose speech starts in it: the lines of a timestamped stream served from the cache, shaped like
/// ElevenLabs' own (each line's audio decodable alone, times counted from the start of the response).
public enum TimedAudioChunks {
    public struct Chunk: Sendable, Equatable {
        public let bytes: Range<Int>
        /// Nil when no character starts in this piece (ElevenLabs sends `alignment: null` then too).
        public let alignment: SpeechAlignment?
    }

    public static func plan(_ audio: [UInt8], info: MP3Info, alignment: SpeechAlignment?, targetMilliseconds: Int = 1000)
        -> [Chunk]
    {
        // Cut points (byte offset, time in ms) after every ~target of audio; the first piece carries any tag and
        // header frame, the last any trailing tag.
        var cuts: [(offset: Int, milliseconds: Int)] = []
        var offset = info.audioOffset
        var samples = 0
        var sinceCut = 0
        while offset + 4 <= info.audioEnd,
            let header = MP3FrameHeader(audio[offset], audio[offset + 1], audio[offset + 2], audio[offset + 3])
        {
            offset += header.frameLength
            samples += header.samplesPerFrame
            sinceCut += header.samplesPerFrame
            if sinceCut * 1000 >= targetMilliseconds * info.sampleRate, offset < info.audioEnd {
                cuts.append((offset, samples * 1000 / info.sampleRate))
                sinceCut = 0
            }
        }
        let starts = [0] + cuts.map(\.offset)
        let ends = cuts.map(\.offset) + [audio.count]
        let boundaries = cuts.map(\.milliseconds)
        let written = split(alignment?.characters ?? [], at: boundaries)
        let spoken = alignment?.spoken.map { split($0, at: boundaries) }
        var firstCharacter = 0
        return starts.indices.map { index in
            let characters = firstCharacter..<(firstCharacter + written[index].count)
            firstCharacter = characters.upperBound
            // A dialogue's segments, cut to the characters of this piece (indices count from the start, as upstream's).
            let voices = alignment?.voices.map { segments in
                segments.compactMap { segment -> SpeechAlignment.VoiceSegment? in
                    let part = (segment.characterStart..<segment.characterEnd).clamped(to: characters)
                    guard !part.isEmpty else { return nil }
                    let local = written[index]
                    let start = max(segment.startMilliseconds, local[part.lowerBound - characters.lowerBound].startMilliseconds)
                    let end = min(segment.endMilliseconds, local[part.upperBound - 1 - characters.lowerBound].endMilliseconds)
                    return .init(
                        voiceId: segment.voiceId, startMilliseconds: start, endMilliseconds: end, characterStart: part.lowerBound,
                        characterEnd: part.upperBound, line: segment.line)
                }
            }
            return Chunk(
                bytes: starts[index]..<ends[index],
                alignment: alignment == nil || written[index].isEmpty
                    ? nil : SpeechAlignment(characters: written[index], spoken: spoken?[index], voices: voices))
        }
    }

    /// The characters whose speech starts in each of the pieces that `boundaries` (milliseconds) cut.
    static func split(_ characters: [SpeechAlignment.Character], at boundaries: [Int]) -> [[SpeechAlignment.Character]] {
        var pieces = [[SpeechAlignment.Character]](repeating: [], count: boundaries.count + 1)
        var piece = 0
        for character in characters {
            while piece < boundaries.count, Int(character.startMilliseconds) >= boundaries[piece] { piece += 1 }
            pieces[piece].append(character)
        }
        return pieces
    }
}
