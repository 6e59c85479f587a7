/// One row's worth of accounting, as the ledger stores it. Built from `VoiceEvent`s (and admin actions) by
/// the server, which knows the stable error codes; the ledger itself knows only SQL.
public enum LedgerEvent: Sendable, Equatable {
    case generation(Generation)
    case failure(Failure)
    case hit(Hit)
    case adminAction(AdminAction)

    public struct Generation: Sendable, Equatable {
        public var at: Double
        public var contentHash: String
        public var bookId: String
        public var chapterId: String?
        public var voiceId: String
        public var modelId: String
        public var characters: Int
        public var characterCost: Int?
        public var upstreamRequestId: String?
        public var upstreamMilliseconds: Double
        public var writeMilliseconds: Double
        public var indexMilliseconds: Double
        public var attempts: Int
        public var clientKeyId: String?
        public var clientName: String?

        public init(
            at: Double, contentHash: String, bookId: String, chapterId: String?, voiceId: String, modelId: String,
            characters: Int, characterCost: Int?, upstreamRequestId: String?, upstreamMilliseconds: Double,
            writeMilliseconds: Double, indexMilliseconds: Double, attempts: Int, clientKeyId: String?, clientName: String?
        ) {
            self.at = at
            self.contentHash = contentHash
            self.bookId = bookId
            self.chapterId = chapterId
            self.voiceId = voiceId
            self.modelId = modelId
            self.characters = characters
            self.characterCost = characterCost
            self.upstreamRequestId = upstreamRequestId
            self.upstreamMilliseconds = upstreamMilliseconds
            self.writeMilliseconds = writeMilliseconds
            self.indexMilliseconds = indexMilliseconds
            self.attempts = attempts
            self.clientKeyId = clientKeyId
            self.clientName = clientName
        }
    }

    public struct Failure: Sendable, Equatable {
        public var at: Double
        public var bookId: String
        public var errorCode: String
        public var clientKeyId: String?
        public var clientName: String?

        public init(at: Double, bookId: String, errorCode: String, clientKeyId: String?, clientName: String?) {
            self.at = at
            self.bookId = bookId
            self.errorCode = errorCode
            self.clientKeyId = clientKeyId
            self.clientName = clientName
        }
    }

    /// A request answered without paying: from the index (`joined` false) or by joining a generation in flight.
    public struct Hit: Sendable, Equatable {
        public var at: Double
        public var contentHash: String
        public var bookId: String
        public var voiceId: String
        public var characters: Int
        public var joined: Bool
        public var clientKeyId: String?
        public var clientName: String?

        public init(
            at: Double, contentHash: String, bookId: String, voiceId: String, characters: Int, joined: Bool,
            clientKeyId: String?, clientName: String?
        ) {
            self.at = at
            self.contentHash = contentHash
            self.bookId = bookId
            self.voiceId = voiceId
            self.characters = characters
            self.joined = joined
            self.clientKeyId = clientKeyId
            self.clientName = clientName
        }
    }

    public struct AdminAction: Sendable, Equatable {
        public var at: Double
        public var action: String
        public var contentHash: String?
        public var bookId: String?
        public var removal: Removal
        public var detail: String?

        public init(at: Double, action: String, contentHash: String?, bookId: String?, removal: Removal, detail: String?) {
            self.at = at
            self.action = action
            self.contentHash = contentHash
            self.bookId = bookId
            self.removal = removal
            self.detail = detail
        }
    }
}
