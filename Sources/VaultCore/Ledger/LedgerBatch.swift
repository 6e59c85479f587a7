/// A batch of ledger events as rows, whatever database takes them: generations, failures and admin actions
/// one row each, and hits summed per (day, asset, book, client key) first, so a thousand hits on one chapter
/// are one upsert.
///
/// Hit rows are in key order: two writers upserting overlapping keys take their row locks in the same order
/// (on PostgreSQL, several nodes write one ledger) and so never deadlock.
public struct LedgerBatch: Sendable, Equatable {
    public var generations: [LedgerEvent.Generation] = []
    public var failures: [LedgerEvent.Failure] = []
    public var hits: [HitRow] = []
    public var adminActions: [LedgerEvent.AdminAction] = []

    /// One (day, asset, book, key)'s hits in the batch. `clientKeyId` is "" for requests without a key (the
    /// primary key cannot hold a null).
    public struct HitRow: Sendable, Equatable {
        public let day: String
        public let contentHash: String
        public let bookId: String
        public let clientKeyId: String
        public let clientName: String?
        public let voiceId: String
        public let hits: Int
        public let joined: Int
        public let charactersSaved: Int
    }

    public init(_ events: [LedgerEvent]) {
        struct Key: Hashable, Comparable {
            let day, hash, book, key: String
            static func < (a: Key, b: Key) -> Bool { (a.day, a.hash, a.book, a.key) < (b.day, b.hash, b.book, b.key) }
        }
        var summed: [Key: (name: String?, voice: String, hits: Int, joined: Int, saved: Int)] = [:]
        for event in events {
            switch event {
            case let .generation(generation): generations.append(generation)
            case let .failure(failure): failures.append(failure)
            case let .adminAction(action): adminActions.append(action)
            case let .hit(hit):
                let key = Key(
                    day: ISO8601Timestamp.day(secondsSince1970: hit.at), hash: hit.contentHash, book: hit.bookId,
                    key: hit.clientKeyId ?? "")
                var entry = summed[key] ?? (hit.clientName, hit.voiceId, 0, 0, 0)
                if hit.joined { entry.joined += 1 } else { entry.hits += 1 }
                entry.saved += hit.characters
                summed[key] = entry
            }
        }
        hits = summed.keys.sorted().compactMap { key in
            summed[key].map {
                HitRow(
                    day: key.day, contentHash: key.hash, bookId: key.book, clientKeyId: key.key, clientName: $0.name,
                    voiceId: $0.voice, hits: $0.hits, joined: $0.joined, charactersSaved: $0.saved)
            }
        }
    }
}
