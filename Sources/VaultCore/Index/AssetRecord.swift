/// What the index knows about one generated audio asset, keyed by its content hash.
///
/// Stored in LMDB in the binary layout of `AssetRecordCodec`; `Codable` is for reports and the HTTP API.
public struct AssetRecord: Codable, Sendable, Equatable {
    /// The request hash (`SpeechSpec.contentHash`), also the file name `<hash>.mp3`.
    public var contentHash: String
    /// Books that reference this audio, sorted and unique. Each has a file `<bookId>/<hash>.mp3`.
    public var bookIds: [String]
    public var voiceId: String
    public var modelId: String
    public var outputFormat: String
    /// Size of the file in bytes.
    public var byteSize: Int
    /// SHA-256 of the file's bytes: the strong ETag, and what fsck verifies.
    public var sha256: String
    /// Playing time read from the MP3 frames (Xing/VBRI header or a frame walk), not guessed from the size.
    public var durationSeconds: Double
    public var wordCount: Int
    public var characterCount: Int
    /// Seconds since 1970 when the asset was first published.
    public var createdAt: Double
    /// ElevenLabs `request-id` of the generation, for request stitching and support tickets.
    public var upstreamRequestId: String?
    /// ElevenLabs `history-item-id` of the generation (the ids of a long text's chunks joined by `,`), for
    /// support tickets and the account's history.
    public var upstreamHistoryItemId: String?
    /// ElevenLabs `character-cost` of the generation.
    public var characterCost: Int?
    /// Where the audio came from: generated here, or imported from an older store (which kept no timings).
    public var origin: AssetOrigin

    public init(
        contentHash: String, bookIds: [String], voiceId: String, modelId: String, outputFormat: String,
        byteSize: Int, sha256: String, durationSeconds: Double, wordCount: Int, characterCount: Int,
        createdAt: Double, upstreamRequestId: String? = nil, characterCost: Int? = nil, origin: AssetOrigin = .generated,
        upstreamHistoryItemId: String? = nil
    ) {
        self.contentHash = contentHash
        self.bookIds = Self.sortedUnique(bookIds)
        self.voiceId = voiceId
        self.modelId = modelId
        self.outputFormat = outputFormat
        self.byteSize = byteSize
        self.sha256 = sha256
        self.durationSeconds = durationSeconds
        self.wordCount = wordCount
        self.characterCount = characterCount
        self.createdAt = createdAt
        self.upstreamRequestId = upstreamRequestId
        self.upstreamHistoryItemId = upstreamHistoryItemId
        self.characterCost = characterCost
        self.origin = origin
    }

    /// Records written before `origin` existed decode as generated.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            contentHash: try container.decode(String.self, forKey: .contentHash),
            bookIds: try container.decode([String].self, forKey: .bookIds),
            voiceId: try container.decode(String.self, forKey: .voiceId),
            modelId: try container.decode(String.self, forKey: .modelId),
            outputFormat: try container.decode(String.self, forKey: .outputFormat),
            byteSize: try container.decode(Int.self, forKey: .byteSize),
            sha256: try container.decode(String.self, forKey: .sha256),
            durationSeconds: try container.decode(Double.self, forKey: .durationSeconds),
            wordCount: try container.decode(Int.self, forKey: .wordCount),
            characterCount: try container.decode(Int.self, forKey: .characterCount),
            createdAt: try container.decode(Double.self, forKey: .createdAt),
            upstreamRequestId: try container.decodeIfPresent(String.self, forKey: .upstreamRequestId),
            characterCost: try container.decodeIfPresent(Int.self, forKey: .characterCost),
            origin: try container.decodeIfPresent(AssetOrigin.self, forKey: .origin) ?? .generated,
            upstreamHistoryItemId: try container.decodeIfPresent(String.self, forKey: .upstreamHistoryItemId))
    }

    /// The book ids sorted, each once. Ids already strictly ascending (every record read from the index: they
    /// were stored this way) are kept as they are, without the set and the sort, which were a quarter of a
    /// record's decoding. Strictly ascending under `String`'s order means no two are equal under its `==`, so
    /// the result is the same either way.
    static func sortedUnique(_ bookIds: [String]) -> [String] {
        var index = bookIds.startIndex + 1
        while index < bookIds.endIndex {
            guard bookIds[index - 1] < bookIds[index] else { return Array(Set(bookIds)).sorted() }
            index += 1
        }
        return bookIds
    }

    /// Adds a referencing book, keeping `bookIds` sorted and unique.
    public mutating func addBook(_ bookId: String) {
        guard !bookIds.contains(bookId) else { return }
        bookIds.append(bookId)
        bookIds.sort()
    }

    public mutating func removeBook(_ bookId: String) {
        bookIds.removeAll { $0 == bookId }
    }

    func encoded() throws -> [UInt8] {
        try AssetRecordCodec.encode(self)
    }

    static func decoded(_ bytes: UnsafeRawBufferPointer) throws -> AssetRecord {
        try AssetRecordCodec.decode(bytes)
    }
}
