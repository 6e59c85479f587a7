import VaultCore

/// The admin API's answers. Field names are the contract (`Docs/API.md`); `/admin/stats` keeps `hits`,
/// `misses`, `assets` and `bytes` numeric, as outside tools rely on.
enum AdminJSON {
    struct PinChange: Encodable {
        let bookId: String
        let pinned: Bool
        /// False when the book already was (or was not) pinned.
        let changed: Bool
    }

    struct Pins: Encodable {
        struct Pin: Encodable {
            let bookId: String
            let pinnedAt: String
        }
        let pins: [Pin]
    }

    struct Removed: Encodable {
        let contentHash: String?
        let bookId: String?
        let books: [String]
        let links: Int
        let assetsRemoved: Int
        let bytesFreed: Int

        init(_ removal: Removal, contentHash: String? = nil, bookId: String? = nil) {
            self.contentHash = contentHash
            self.bookId = bookId
            books = removal.books
            links = removal.links
            assetsRemoved = removal.assetsRemoved
            bytesFreed = removal.bytesFreed
        }
    }

    struct Asset: Encodable {
        let contentHash: String
        let bookIds: [String]
        let voiceId: String
        let model: String
        let format: String
        let bytes: Int
        let sha256: String
        let durationSec: Double
        let characterCount: Int
        let wordCount: Int
        let characterCost: Int?
        let upstreamRequestId: String?
        let upstreamHistoryItemId: String?
        let createdAt: String
        let urls: [String]
        /// Hits over the ledger's history (detail view only; nil in listings and without a ledger).
        let hits: Int?

        init(_ record: AssetRecord, baseURL: String?, hits: Int? = nil) {
            self.hits = hits
            contentHash = record.contentHash
            bookIds = record.bookIds
            voiceId = record.voiceId
            model = record.modelId
            format = record.outputFormat
            bytes = record.byteSize
            sha256 = record.sha256
            durationSec = VoiceResponseBody.rounded(record.durationSeconds)
            characterCount = record.characterCount
            wordCount = record.wordCount
            characterCost = record.characterCost
            upstreamRequestId = record.upstreamRequestId
            upstreamHistoryItemId = record.upstreamHistoryItemId
            createdAt = VoiceResponseBody.iso8601(record.createdAt)
            urls = record.bookIds.map { (baseURL ?? "") + VoiceResponseBody.audioPath(book: $0, hash: record.contentHash) }
        }
    }

    struct AssetList: Encodable {
        let assets: [Asset]
        let nextCursor: String?
    }

    struct BookList: Encodable {
        let books: [AssetIndex.BookSummary]
        let nextCursor: String?
    }

    struct Purge: Encodable {
        let dryRun: Bool
        let matched: Int
        let sample: [String]
        let books: [String]
        let links: Int
        let assetsRemoved: Int
        let bytesFreed: Int
    }

    struct Stats: Encodable {
        struct Flight: Encodable {
            let contentHash: String
            let waiters: Int
            let ageSeconds: Double
        }
        struct Latency: Encodable {
            let generations: Int
            let p50Seconds: Double
            let p95Seconds: Double
            let p99Seconds: Double
        }
        struct Recent: Encodable {
            let at: String
            let contentHash: String
            let bookId: String
            let voiceId: String
            let characters: Int
            let upstreamSeconds: Double
        }
        struct Budget: Encodable {
            let day: String
            let charactersSpent: Int
            let dailyLimit: Int?
        }
        let assets: Int
        let bytes: Int
        let books: Int
        let hits: Int
        let misses: Int
        let hitRate: Double?
        let generations: Int
        let failures: Int
        let charactersGenerated: Int
        let charactersSaved: Int
        let pricePer1000Characters: Double?
        let costGenerated: Double?
        let costSaved: Double?
        /// On a cluster node only: what the whole cluster's catalog holds, each asset once (`assets`, `bytes` and
        /// `books` above are then the node's own cache). Absent on one machine, and while the catalog does not
        /// answer.
        let cluster: Cluster?
        struct Cluster: Encodable {
            let assets: Int
            let bytes: Int
            let books: Int
        }
        let topVoices: [LedgerReport.Count]
        let topBooks: [LedgerReport.Count]
        /// Usage by client key name (never the key).
        let byClient: [LedgerReport.ClientUsage]
        /// The last 14 days, oldest first.
        let days: [LedgerReport.Day]
        let recentGenerations: [Recent]
        let inFlight: [Flight]
        let upstreamLatencyLastHour: Latency?
        let budget: Budget
        /// Null when counts are the ledger's whole history; else they are since this moment (the server's start).
        let countingSince: String?
    }
}
