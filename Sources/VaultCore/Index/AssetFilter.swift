/// Which assets an operator means: by book, voice, model and creation time. Empty fields match everything.
/// Pure, so listing and purging agree on what matches.
public struct AssetFilter: Sendable, Equatable {
    public var bookId: StorageIdentifier?
    public var voiceId: String?
    public var modelId: String?
    /// Seconds since 1970; matches assets created strictly before.
    public var createdBefore: Double?
    /// Seconds since 1970; matches assets created at or after.
    public var createdAfter: Double?

    public init(
        bookId: StorageIdentifier? = nil, voiceId: String? = nil, modelId: String? = nil,
        createdBefore: Double? = nil, createdAfter: Double? = nil
    ) {
        self.bookId = bookId
        self.voiceId = voiceId
        self.modelId = modelId
        self.createdBefore = createdBefore
        self.createdAfter = createdAfter
    }

    public var isEmpty: Bool { self == AssetFilter() }

    public func matches(_ record: AssetRecord) -> Bool {
        if let bookId, !record.bookIds.contains(bookId.value) { return false }
        if let voiceId, record.voiceId != voiceId { return false }
        if let modelId, record.modelId != modelId { return false }
        if let createdBefore, !(record.createdAt < createdBefore) { return false }
        if let createdAfter, !(record.createdAt >= createdAfter) { return false }
        return true
    }
}

/// One page of a filtered listing. `nextCursor` is set while records remain to be looked at; a page may hold
/// fewer than asked when the scan bound was reached first (a rare filter over a large index), so a client
/// pages until `nextCursor` is nil, never until a short page.
public struct AssetPage: Sendable, Equatable {
    public let records: [AssetRecord]
    public let nextCursor: SHA256Digest?

    public init(records: [AssetRecord], nextCursor: SHA256Digest?) {
        self.records = records
        self.nextCursor = nextCursor
    }
}

extension AssetIndex {
    /// Records matching `filter` in hash order after `cursor`: at most `limit` of them, looking at no more than
    /// `scanLimit` records, in one read transaction. With a book, only that book's keys are walked.
    public func page(matching filter: AssetFilter, after cursor: SHA256Digest?, limit: Int, scanLimit: Int = 10_000) throws -> AssetPage {
        let databases = databases
        return try environment.read { txn in
            var records: [AssetRecord] = []
            var scanned = 0
            var lastSeen: SHA256Digest?
            var exhausted = true
            func visit(_ hash: SHA256Digest, _ record: AssetRecord?) -> Bool {
                if let cursor, hash == cursor { return true }
                if records.count == limit || scanned == scanLimit {
                    exhausted = false
                    return false
                }
                scanned += 1
                lastSeen = hash
                if let record, filter.matches(record) { records.append(record) }
                return true
            }
            if let book = filter.bookId {
                let prefix = Self.bookPrefix(book.value)
                try txn.scan(prefix: prefix, in: databases.books, from: cursor.map { Self.bookKey(book.value, $0) }) { key, _ in
                    guard let hash = SHA256Digest(hex: String(decoding: key.suffix(64), as: UTF8.self)) else { return true }
                    return visit(hash, try Self.record(hash, in: txn, databases))
                }
            } else {
                try txn.scan(prefix: [], in: databases.assets, from: cursor.map(Self.assetKey)) { key, value in
                    guard let hash = SHA256Digest(bytes: key) else { return true }
                    let record = try value.withUnsafeBytes { try Self.decode($0, hash: hash.hex) }
                    return visit(hash, record)
                }
            }
            return AssetPage(records: records, nextCursor: exhausted ? nil : lastSeen)
        }
    }

    /// Assets, stored bytes (each asset once, however many books link it) and books. The first two are kept by
    /// the index; books are counted with one seek each, so run it off the cooperative pool.
    public func totals() throws -> (assets: Int, bytes: Int, books: Int) {
        // Both kept by the index itself: no walk of the records.
        let assets = try count()
        let bytes = try storedBytes()
        var books = 0
        var after: String?
        while true {
            let page = try bookIds(after: after, limit: 1024)
            books += page.count
            guard page.count == 1024, let last = page.last else { break }
            after = last
        }
        return (assets, bytes, books)
    }

    /// One book's share of the store.
    public struct BookSummary: Sendable, Equatable, Codable {
        public let bookId: String
        public let assets: Int
        /// Bytes of the book's files (audio shared with another book counts in both).
        public let bytes: Int

        public init(bookId: String, assets: Int, bytes: Int) {
            self.bookId = bookId
            self.assets = assets
            self.bytes = bytes
        }
    }

    /// Books after `after` in id order, at most `limit`, each with its asset count and bytes.
    public func bookSummaries(after: String?, limit: Int) throws -> [BookSummary] {
        try bookIds(after: after, limit: limit).map { book in
            guard let id = try? StorageIdentifier(book, kind: .bookId) else { return BookSummary(bookId: book, assets: 0, bytes: 0) }
            let hashes = try hashes(forBook: id)
            var bytes = 0
            for hash in hashes { bytes += try record(for: hash)?.byteSize ?? 0 }
            return BookSummary(bookId: book, assets: hashes.count, bytes: bytes)
        }
    }
}
