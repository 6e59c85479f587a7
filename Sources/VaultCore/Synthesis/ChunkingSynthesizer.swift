/// Makes any synthesizer accept text longer than its model's per-request limit: the text is split at sentence
/// boundaries (`TextChunker`), each piece is generated in order with its neighbours as `previous_text` /
/// `next_text` so the prosody flows across the seams, and the pieces are joined into one MP3
/// (`MP3Concatenator`). Text within the limit passes straight through.
public struct ChunkingSynthesizer: SpeechSynthesizer {
    public let base: any SpeechSynthesizer
    let limit: @Sendable (String) -> Int

    public init(base: any SpeechSynthesizer, limit: @escaping @Sendable (String) -> Int = ModelLimits.maximumCharacters(model:)) {
        self.base = base
        self.limit = limit
    }

    public func resolve(_ spec: SpeechSpec) -> SpeechSpec { base.resolve(spec) }

    public func synthesize(_ spec: SpeechSpec) async throws -> Generation {
        let maximum = limit(spec.modelId)
        guard spec.text.unicodeScalars.count > maximum else { return try await base.synthesize(spec) }
        let chunks = TextChunker(limit: maximum).chunks(spec.text, previousText: spec.previousText, nextText: spec.nextText)
        var pieces = [[UInt8]]()
        var requestIds = [String]()
        var cost: Int? = 0
        var attempts = 0
        var alignment: SpeechAlignment? = SpeechAlignment()
        var elapsedMilliseconds: UInt32 = 0
        for chunk in chunks {
            let part = try spec.replacing(text: chunk.text, previousText: chunk.previousText, nextText: chunk.nextText)
            let generation = try await base.synthesize(part)
            pieces.append(generation.audio)
            alignment = Self.merged(alignment, generation.alignment, at: elapsedMilliseconds)
            elapsedMilliseconds += Self.playingMilliseconds(generation.info)
            if let id = generation.requestId { requestIds.append(id) }
            cost = generation.characterCost.flatMap { add in cost.map { $0 + add } }
            attempts += generation.attempts
        }
        let joined = try MP3Concatenator.join(pieces)
        return Generation(mp3: try InspectedMP3(joined),
                          requestId: requestIds.isEmpty ? nil : requestIds.joined(separator: ","),
                          characterCost: cost, attempts: attempts, alignment: alignment)
    }

    /// The alignment so far with the next chunk's appended at its offset, and a space between the two (the
    /// separator the chunker cut, spoken as the seam's silence). Nil once any chunk came without one: timings
    /// with a hole are not kept.
    static func merged(_ sofar: SpeechAlignment?, _ next: SpeechAlignment?, at offset: UInt32) -> SpeechAlignment? {
        guard var sofar, let next else { return nil }
        if !sofar.characters.isEmpty {
            sofar.characters.append(.init(text: " ", startMilliseconds: offset, endMilliseconds: offset))
        }
        sofar.append(next, offsetMilliseconds: offset)
        return sofar
    }

    /// How long a chunk's audio frames play in the joined file. `MP3Concatenator` keeps every audio frame and
    /// drops the encoder's gapless trim, so this is frames times samples per frame, not the trimmed duration.
    static func playingMilliseconds(_ info: MP3Info) -> UInt32 {
        UInt32((info.untrimmedDurationSeconds * 1000).rounded())
    }
}
