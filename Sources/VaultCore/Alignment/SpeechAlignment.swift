/// When each character of a piece of speech is spoken: ElevenLabs' `alignment` (one entry per character of the
/// input text, as Python counts characters: Unicode scalars), merged over every chunk of a generation with
/// absolute times from the start of the audio.
///
/// Times are kept in whole milliseconds: ElevenLabs reports them to the millisecond, players seek no finer,
/// and integers give every stored time one spelling.
public struct SpeechAlignment: Sendable, Equatable {
    public struct Character: Sendable, Equatable {
        /// One Unicode scalar as a string (ElevenLabs sends one per entry; a longer entry is kept whole).
        public var text: String
        public var startMilliseconds: UInt32
        public var endMilliseconds: UInt32

        public init(text: String, startMilliseconds: UInt32, endMilliseconds: UInt32) {
            self.text = text
            self.startMilliseconds = startMilliseconds
            self.endMilliseconds = max(startMilliseconds, endMilliseconds)
        }

        public var startSeconds: Double { Double(startMilliseconds) / 1000 }
        public var endSeconds: Double { Double(endMilliseconds) / 1000 }
    }

    public var characters: [Character]
    /// When each character of the text as spoken is said: ElevenLabs' `normalized_alignment`, which follows the
    /// text after normalisation and pronunciation dictionaries ("$5" spoken as "five dollars"), so it need not
    /// have the same characters as `characters`. Nil when upstream did not send it with every piece that had
    /// timings: a spoken text with holes would describe nothing reliably.
    public var spoken: [Character]?
    /// Who speaks when, in a dialogue: ElevenLabs' `voice_segments`, nil for speech in one voice.
    public var voices: [VoiceSegment]?

    /// One stretch of a dialogue spoken in one voice, over `characters[characterStart..<characterEnd]`.
    public struct VoiceSegment: Sendable, Equatable {
        public var voiceId: String
        public var startMilliseconds: UInt32
        public var endMilliseconds: UInt32
        public var characterStart: Int
        public var characterEnd: Int
        /// The dialogue line (`inputs` index) it speaks.
        public var line: Int

        public init(voiceId: String, startMilliseconds: UInt32, endMilliseconds: UInt32, characterStart: Int, characterEnd: Int, line: Int)
        {
            self.voiceId = voiceId
            self.startMilliseconds = startMilliseconds
            self.endMilliseconds = max(startMilliseconds, endMilliseconds)
            self.characterStart = max(0, characterStart)
            self.characterEnd = max(self.characterStart, characterEnd)
            self.line = max(0, line)
        }

        public var startSeconds: Double { Double(startMilliseconds) / 1000 }
        public var endSeconds: Double { Double(endMilliseconds) / 1000 }
    }

    public init(characters: [Character] = [], spoken: [Character]? = nil, voices: [VoiceSegment]? = nil) {
        self.characters = characters
        self.spoken = spoken
        self.voices = voices
    }

    /// An alignment from ElevenLabs' three parallel arrays; nil when their lengths differ or a time is not a
    /// finite, non-negative number (such an alignment describes nothing reliably and is not stored).
    public init?(characters: [String], startSeconds: [Double], endSeconds: [Double]) {
        guard characters.count == startSeconds.count, characters.count == endSeconds.count else { return nil }
        var entries = [Character]()
        entries.reserveCapacity(characters.count)
        for index in characters.indices {
            guard let start = Self.milliseconds(startSeconds[index]), let end = Self.milliseconds(endSeconds[index])
            else { return nil }
            entries.append(Character(text: characters[index], startMilliseconds: start, endMilliseconds: end))
        }
        self.characters = entries
    }

    /// The text the alignment follows.
    public var text: String { characters.map(\.text).joined() }

    /// The text as spoken, when upstream said it.
    public var spokenText: String? { spoken?.map(\.text).joined() }

    /// The timings of the spoken text as an alignment of its own, when the spoken text differs from the written
    /// one; nil when there is no spoken text or it is the written text (then `self` says everything).
    public var differingSpoken: SpeechAlignment? {
        guard let spoken, spokenText != text else { return nil }
        return SpeechAlignment(characters: spoken)
    }

    /// When the last character ends.
    public var endMilliseconds: UInt32 { characters.last?.endMilliseconds ?? 0 }

    /// Appends `other`, whose times count from `offsetMilliseconds` (where its audio begins in the whole). The
    /// spoken text is kept only while every appended part with characters had one.
    public mutating func append(_ other: SpeechAlignment, offsetMilliseconds: UInt32) {
        let fresh = characters.isEmpty && spoken == nil
        Self.append(other.characters, to: &characters, offsetMilliseconds: offsetMilliseconds)
        if let otherSpoken = other.spoken, fresh || spoken != nil {
            var merged = spoken ?? []
            Self.append(otherSpoken, to: &merged, offsetMilliseconds: offsetMilliseconds)
            spoken = merged
        } else if other.spoken == nil, !other.characters.isEmpty {
            spoken = nil
        }
        if let segments = other.voices { appendVoices(segments, offsetMilliseconds: offsetMilliseconds) }
    }

    /// A dialogue's segments as the pieces of one answer bring them: indices and times count from the start of
    /// the answer, as upstream's do; a line cut between two pieces is one segment again.
    private mutating func appendVoices(_ segments: [VoiceSegment], offsetMilliseconds: UInt32) {
        var merged = voices ?? []
        for var segment in segments {
            segment.startMilliseconds &+= offsetMilliseconds
            segment.endMilliseconds &+= offsetMilliseconds
            if var last = merged.last, last.line == segment.line, last.voiceId == segment.voiceId,
                segment.characterStart <= last.characterEnd
            {
                last.endMilliseconds = max(last.endMilliseconds, segment.endMilliseconds)
                last.characterEnd = max(last.characterEnd, segment.characterEnd)
                merged[merged.count - 1] = last
            } else {
                merged.append(segment)
            }
        }
        voices = merged
    }

    /// Inserts one character at the front of both texts (the separator spoken as a seam's silence).
    public mutating func prepend(_ character: Character) {
        characters.insert(character, at: 0)
        spoken?.insert(character, at: 0)
    }

    private static func append(_ source: [Character], to target: inout [Character], offsetMilliseconds: UInt32) {
        target.reserveCapacity(target.count + source.count)
        for character in source {
            target.append(
                Character(
                    text: character.text,
                    startMilliseconds: character.startMilliseconds &+ offsetMilliseconds,
                    endMilliseconds: character.endMilliseconds &+ offsetMilliseconds))
        }
    }

    /// Seconds as whole milliseconds, rounded; nil for negative, non-finite or absurd (over 49 days) values.
    public static func milliseconds(_ seconds: Double) -> UInt32? {
        guard seconds.isFinite, seconds >= 0, seconds < Double(UInt32.max) / 1000 else { return nil }
        return UInt32((seconds * 1000).rounded())
    }

    /// Characters spread evenly over `[startMilliseconds, endMilliseconds)`: the estimate for speech whose
    /// synthesizer reports only where a whole segment begins and ends.
    public static func evenlySpread(_ text: String, startMilliseconds: UInt32, endMilliseconds: UInt32) -> SpeechAlignment {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { return SpeechAlignment() }
        let span = Double(max(endMilliseconds, startMilliseconds) - startMilliseconds)
        let step = span / Double(scalars.count)
        return SpeechAlignment(
            characters: scalars.indices.map { index in
                Character(
                    text: String(scalars[index]),
                    startMilliseconds: startMilliseconds + UInt32((Double(index) * step).rounded()),
                    endMilliseconds: startMilliseconds + UInt32((Double(index + 1) * step).rounded()))
            })
    }
}
