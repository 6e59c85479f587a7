/// What books say about their audio (`BookLink`), kept as the value of each `books` key, so a link and what it
/// says are one entry: removing the link removes them with it.
extension AssetIndex {
    /// Whether the book links `hash` with exactly these details: the voice service's check before it takes a
    /// plain hit, one read of a small value.
    public func linkSays(_ details: BookLink, of hash: SHA256Digest, in bookId: StorageIdentifier) throws -> Bool {
        let expected = details.encoded
        return try environment.read { txn in
            try txn.withValue(Self.bookKey(bookId.value, hash), in: databases.books) { bytes in
                bytes.map { $0.elementsEqual(expected) } ?? false
            }
        }
    }

    /// The record of `hash`, and whether `bookId`'s link to it says exactly `details`, in one read transaction:
    /// the plain hit's lookup for a request that names its chapter (a second transaction cost it a measurable
    /// share of the hit). Nil when there is no record.
    public func record(for hash: SHA256Digest, linkIn bookId: StorageIdentifier, saying details: BookLink) throws -> (
        record: AssetRecord, says: Bool
    )? {
        let expected = details.encoded
        return try environment.read { txn in
            guard let record = try Self.record(hash, in: txn, databases) else { return nil }
            let says = try txn.withValue(Self.bookKey(bookId.value, hash), in: databases.books) { bytes in
                bytes.map { $0.elementsEqual(expected) } ?? false
            }
            return (record, says)
        }
    }

    /// Records what a book says about audio it links (replacing what it said); false when the book does not
    /// link it (nothing is written), or already says exactly that.
    @discardableResult
    public func describe(_ hash: SHA256Digest, in bookId: StorageIdentifier, as details: BookLink) throws -> Bool {
        let databases = databases
        let key = Self.bookKey(bookId.value, hash)
        let encoded = details.encoded
        return try environment.write { txn in
            let current = try txn.get(key, in: databases.books)
            guard let current, current != encoded else { return false }
            try txn.put(encoded, for: key, in: databases.books)
            return true
        }
    }

    /// Every asset a book links, with what the book says about it and whether it has timings, in hash order:
    /// one read transaction, for the book manifest.
    public func chapters(ofBook bookId: StorageIdentifier) throws -> [BookEntry] {
        try environment.read { txn in
            var links: [(SHA256Digest, BookLink)] = []
            try txn.scan(prefix: Self.bookPrefix(bookId.value), in: databases.books) { key, value in
                if let hash = SHA256Digest(hex: String(decoding: key.suffix(64), as: UTF8.self)) {
                    links.append((hash, BookLink(encoded: value) ?? BookLink()))
                }
                return true
            }
            return try links.compactMap { hash, link in
                guard let record = try Self.record(hash, in: txn, databases) else { return nil }
                let timed = try txn.withValue(Self.assetKey(hash), in: databases.alignments) { $0 != nil }
                return BookEntry(record: record, link: link, hasAlignment: timed)
            }
        }
    }
}
