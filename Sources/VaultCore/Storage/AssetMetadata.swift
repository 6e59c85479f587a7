/// What the caller knows about audio it publishes; the store adds what it measures (size, sha256, duration).
public struct AssetMetadata: Sendable, Equatable {
    public var voiceId: String
    public var modelId: String
    public var outputFormat: String
    public var wordCount: Int
    public var characterCount: Int
    public var upstreamRequestId: String?
    public var upstreamHistoryItemId: String?
    public var characterCost: Int?
    public var origin: AssetOrigin

    public init(
        voiceId: String, modelId: String, outputFormat: String, wordCount: Int, characterCount: Int,
        upstreamRequestId: String? = nil, characterCost: Int? = nil, origin: AssetOrigin = .generated,
        upstreamHistoryItemId: String? = nil
    ) {
        self.upstreamHistoryItemId = upstreamHistoryItemId
        self.voiceId = voiceId
        self.modelId = modelId
        self.outputFormat = outputFormat
        self.wordCount = wordCount
        self.characterCount = characterCount
        self.upstreamRequestId = upstreamRequestId
        self.characterCost = characterCost
        self.origin = origin
    }

    /// Metadata derived from a speech spec: everything but the upstream's answers.
    public init(
        spec: SpeechSpec, upstreamRequestId: String? = nil, characterCost: Int? = nil,
        origin: AssetOrigin = .generated, upstreamHistoryItemId: String? = nil
    ) {
        let stats = TextStatistics(canonicalText: spec.text)
        self.init(
            voiceId: spec.voiceId, modelId: spec.modelId, outputFormat: spec.outputFormat,
            wordCount: stats.wordCount, characterCount: stats.characterCount,
            upstreamRequestId: upstreamRequestId, characterCost: characterCost, origin: origin,
            upstreamHistoryItemId: upstreamHistoryItemId)
    }
}
