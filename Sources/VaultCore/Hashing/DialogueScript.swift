/// A dialogue (`POST /v1/text-to-dialogue`, or `"dialogue"` on `POST /api/voice`): lines of text, each spoken in
/// its own voice, generated as one audio. What a book with characters is read with.
///
/// Every line's text is canonical (`CanonicalText`), as a speech request's text is; the dialogue's own
/// settings (`stability`, `similarity`) stay absent when not sent, since upstream documents no default for
/// them and VoiceVault forwards exactly what shapes the audio.
public struct DialogueScript: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        /// Canonical text of the line.
        public let text: String
        public let voiceId: String
    }

    public let lines: [Line]
    /// `settings.stability`, quantised like voice settings; nil when not sent.
    public let stabilityE4: Int?
    /// `settings.similarity`, quantised; nil when not sent.
    public let similarityE4: Int?
    /// Unicode scalars over every line: what upstream bills.
    public let characterCount: Int

    /// Upstream's bound on the voices of one dialogue.
    public static let maximumVoices = 10
    /// A bound on lines, so that a request cannot make the hash walk and the upstream body hold an unbounded
    /// list (every line also counts against the text's length).
    public static let maximumLines = 500

    public init(lines raw: [(text: String, voiceId: String)], stability: Double? = nil, similarity: Double? = nil)
        throws(SpeechSpecError)
    {
        guard !raw.isEmpty else { throw .invalidField("inputs", "at least one line") }
        guard raw.count <= Self.maximumLines else { throw .invalidField("inputs", "at most \(Self.maximumLines) lines") }
        var lines = [Line]()
        var voices = Set<String>()
        var characters = 0
        for (index, line) in raw.enumerated() {
            guard SpeechSpec.isToken(line.voiceId, extra: "_-") else { throw .invalidVoiceId(line.voiceId) }
            try SpeechSpec.checkShape(line.text, field: "inputs[\(index)].text")
            let canonical = CanonicalText.normalize(line.text)
            guard !canonical.isEmpty else { throw .invalidField("inputs[\(index)].text", "text that is not empty or only whitespace") }
            voices.insert(line.voiceId)
            characters += canonical.unicodeScalars.count
            lines.append(Line(text: canonical, voiceId: line.voiceId))
        }
        guard voices.count <= Self.maximumVoices else {
            throw .invalidField("inputs", "at most \(Self.maximumVoices) different voices, not \(voices.count)")
        }
        self.lines = lines
        self.characterCount = characters
        self.stabilityE4 = try stability.map { value throws(SpeechSpecError) in
            try VoiceSettings.quantize(value, field: "stability", range: VoiceSettings.unitRange)
        }
        self.similarityE4 = try similarity.map { value throws(SpeechSpecError) in
            try VoiceSettings.quantize(value, field: "similarity", range: VoiceSettings.unitRange)
        }
    }

    /// The lines' texts, one per line: the spec's text (its statistics, and what a synthesizer that speaks one
    /// voice says).
    public var text: String { lines.map(\.text).joined(separator: "\n") }

    public var stability: Double? { stabilityE4.map { Double($0) / 10_000 } }
    public var similarity: Double? { similarityE4.map { Double($0) / 10_000 } }
}
