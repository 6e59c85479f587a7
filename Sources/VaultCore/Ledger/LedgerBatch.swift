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

    /// The batch as rows of each table, their columns in `LedgerTable.columns` order: what both databases insert
    /// (hits in key order).
    public var rows: [LedgerTable: [[SQLiteDatabase.Value]]] {
        func text(_ value: String?) -> SQLiteDatabase.Value { value.map { .text($0) } ?? .null }
        func integer(_ value: Int?) -> SQLiteDatabase.Value { value.map { .integer($0) } ?? .null }
        return [
            .generations: generations.map { g in
                [
                    .real(g.at), .text(g.contentHash), .text(g.bookId), text(g.chapterId), .text(g.voiceId),
                    .text(g.modelId), .integer(g.characters), integer(g.characterCost), text(g.upstreamRequestId),
                    .real(g.upstreamMilliseconds), .real(g.writeMilliseconds), .real(g.indexMilliseconds),
                    .integer(g.attempts), text(g.clientKeyId), text(g.clientName),
                ]
            },
            .failures: failures.map { f in
                [.real(f.at), .text(f.bookId), .text(f.errorCode), text(f.clientKeyId), text(f.clientName)]
            },
            .hits: hits.map { row in
                [
                    .text(row.day), .text(row.contentHash), .text(row.bookId), .text(row.clientKeyId), text(row.clientName),
                    .text(row.voiceId), .integer(row.hits), .integer(row.joined), .integer(row.charactersSaved),
                ]
            },
            .adminActions: adminActions.map { a in
                [
                    .real(a.at), .text(a.action), text(a.contentHash), text(a.bookId), .integer(a.removal.books.count),
                    .integer(a.removal.links), .integer(a.removal.assetsRemoved), .integer(a.removal.bytesFreed), text(a.detail),
                ]
            },
        ]
    }
}
