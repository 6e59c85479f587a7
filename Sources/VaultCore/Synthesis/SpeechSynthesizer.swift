/// Something that turns a speech spec into MP3 audio: ElevenLabs, or the offline synthesizer.
public protocol SpeechSynthesizer: Sendable {
    /// The spec this synthesizer will actually produce, before hashing. The offline synthesizer substitutes its
    /// own model id, so its audio can never be served for an ElevenLabs request or the other way round.
    func resolve(_ spec: SpeechSpec) -> SpeechSpec

    /// Generates audio for `spec`. Implementations verify the audio (a complete MP3) before returning it.
    func synthesize(_ spec: SpeechSpec) async throws -> Generation

    /// Generates audio for `spec`, handing each piece to `deliver` as it arrives, in order: how every miss is
    /// generated, so listeners hear the first words while the rest is still being spoken. The pieces are not
    /// verified here; the caller inspects them as they arrive (`StagedAudio`) and decides at the end.
    ///
    /// A failure after a piece was delivered is retried only when `restart` agrees (it answers false once
    /// anyone has heard a piece: what listeners heard cannot be taken back); the caller then drops what was
    /// delivered, and delivery starts again from the first byte.
    func stream(
        _ spec: SpeechSpec, restart: @escaping @Sendable () async -> Bool,
        deliver: @escaping @Sendable (SynthesisPiece) async throws -> Void
    ) async throws -> SynthesisReceipt
}

extension SpeechSynthesizer {
    public func resolve(_ spec: SpeechSpec) -> SpeechSpec { spec }

    /// For synthesizers that make the whole at once (the offline one): one piece, after the whole is made.
    public func stream(
        _ spec: SpeechSpec, restart: @escaping @Sendable () async -> Bool,
        deliver: @escaping @Sendable (SynthesisPiece) async throws -> Void
    ) async throws -> SynthesisReceipt {
        let generation = try await synthesize(spec)
        try await deliver(SynthesisPiece(audio: generation.audio, alignment: generation.alignment))
        return SynthesisReceipt(
            requestId: generation.requestId, characterCost: generation.characterCost,
            attempts: generation.attempts)
    }
}

/// A piece of a generation as it arrives: the next audio bytes, and the characters whose speech they carry,
/// with times from the start of the whole generation.
public struct SynthesisPiece: Sendable, Equatable {
    public var audio: [UInt8]
    public var alignment: SpeechAlignment?

    public init(audio: [UInt8], alignment: SpeechAlignment?) {
        self.audio = audio
        self.alignment = alignment
    }
}

/// What the upstream said about a streamed generation, once it is over.
public struct SynthesisReceipt: Sendable, Equatable {
    public let requestId: String?
    /// Upstream's `history-item-id`: one, or a long text's, one per chunk, joined by `,`.
    public let historyItemId: String?
    public let characterCost: Int?
    /// Upstream attempts it took (1 when nothing was retried).
    public let attempts: Int

    public init(requestId: String?, characterCost: Int?, attempts: Int, historyItemId: String? = nil) {
        self.requestId = requestId
        self.historyItemId = historyItemId
        self.characterCost = characterCost
        self.attempts = attempts
    }
}

/// One generated audio, verified (an `InspectedMP3` cannot be made otherwise), with what the upstream said
/// about it.
public struct Generation: Sendable {
    public let mp3: InspectedMP3
    public let requestId: String?
    public let characterCost: Int?
    /// Upstream attempts it took (1 when nothing was retried).
    public let attempts: Int
    /// When each character of the text is spoken, with times from the start of `mp3`; nil when the synthesizer
    /// could not say.
    public let alignment: SpeechAlignment?

    public var audio: [UInt8] { mp3.bytes }
    public var info: MP3Info { mp3.info }

    public init(
        mp3: InspectedMP3, requestId: String?, characterCost: Int?, attempts: Int,
        alignment: SpeechAlignment? = nil
    ) {
        self.mp3 = mp3
        self.alignment = alignment
        self.requestId = requestId
        self.characterCost = characterCost
        self.attempts = attempts
    }
}
