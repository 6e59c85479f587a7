/// Something that turns a speech spec into MP3 audio: ElevenLabs, or the offline synthesizer.
public protocol SpeechSynthesizer: Sendable {
    /// The spec this synthesizer will actually produce, before hashing. The offline synthesizer substitutes its
    /// own model id, so its audio can never be served for an ElevenLabs request or the other way round.
    func resolve(_ spec: SpeechSpec) -> SpeechSpec

    /// Generates audio for `spec`. Implementations verify the audio (a complete MP3) before returning it.
    func synthesize(_ spec: SpeechSpec) async throws -> Generation
}

extension SpeechSynthesizer {
    public func resolve(_ spec: SpeechSpec) -> SpeechSpec { spec }
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

    public init(mp3: InspectedMP3, requestId: String?, characterCost: Int?, attempts: Int,
                alignment: SpeechAlignment? = nil) {
        self.mp3 = mp3
        self.alignment = alignment
        self.requestId = requestId
        self.characterCost = characterCost
        self.attempts = attempts
    }
}
