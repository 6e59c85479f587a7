/// The embedded store's catalog: the LMDB index, each call one transaction, run off the cooperative pool.
/// `AssetStore` keeps the files beside it in the crash-safe order; this is the records alone, as the seam
/// names them.
public struct EmbeddedAssetCatalog: AssetCatalog {
    public let index: AssetIndex
    public init(index: AssetIndex) { self.index = index }

    public func record(for hash: SHA256Digest) async throws -> AssetRecord? {
        let index = index
        return try await BlockingIO.run { try index.record(for: hash) }
    }

    public func recordWithAlignment(for hash: SHA256Digest) async throws -> (record: AssetRecord, alignment: SpeechAlignment?)? {
        let index = index
        return try await BlockingIO.run { try index.recordWithAlignment(for: hash) }
    }

    public func publish(_ record: AssetRecord, alignment: SpeechAlignment?) async throws -> (record: AssetRecord, inserted: Bool) {
        guard let hash = SHA256Digest(hex: record.contentHash) else {
            throw IndexError.corruptRecord(hash: record.contentHash, reason: "contentHash is not a sha256")
        }
        let encoded = try AssetStore.encode(alignment)
        let index = index
        return try await BlockingIO.run {
            var inserted = false
            let stored = try index.update(hash, alignment: encoded) { current in
                guard var current else {
                    inserted = true
                    return record
                }
                for book in record.bookIds { current.addBook(book) }
                return current
            }
            guard let stored else { throw StoreError.notFound(hash: hash.hex) }
            return (stored, inserted)
        }
    }

    public func link(_ hash: SHA256Digest, to bookId: StorageIdentifier) async throws -> AssetRecord? {
        let index = index
        return try await BlockingIO.run {
            try index.update(hash) { current in
                guard var current else { return nil }
                current.addBook(bookId.value)
                return current
            }
        }
    }

    public func unlink(_ hash: SHA256Digest, from bookId: StorageIdentifier) async throws -> AssetUnlinking? {
        let index = index
        return try await BlockingIO.run {
            var unlinking: AssetUnlinking?
            try index.update(hash) { current in
                guard var current, current.bookIds.contains(bookId.value) else { return current }
                let before = current
                current.removeBook(bookId.value)
                unlinking = AssetUnlinking(before: before, recordRemoved: current.bookIds.isEmpty)
                return current.bookIds.isEmpty ? nil : current
            }
            return unlinking
        }
    }

    public func remove(_ hash: SHA256Digest) async throws -> AssetRecord? {
        let index = index
        return try await BlockingIO.run {
            var removed: AssetRecord?
            try index.update(hash) { current in
                removed = current
                return nil
            }
            return removed
        }
    }

    public func hashes(forBook bookId: StorageIdentifier) async throws -> [SHA256Digest] {
        let index = index
        return try await BlockingIO.run { try index.hashes(forBook: bookId) }
    }

    public func describe(_ hash: SHA256Digest, in bookId: StorageIdentifier, as details: BookLink) async throws -> Bool {
        let index = index
        return try await BlockingIO.run { try index.describe(hash, in: bookId, as: details) }
    }

    public func bookEntries(_ bookId: StorageIdentifier) async throws -> [BookEntry] {
        let index = index
        return try await BlockingIO.run { try index.chapters(ofBook: bookId) }
    }

    public func aliasTarget(_ legacyKey: SHA256Digest) async throws -> SHA256Digest? {
        let index = index
        return try await BlockingIO.run { try index.aliasTarget(legacyKey) }
    }

    public func addAliases(_ aliases: [LegacyAlias]) async throws -> Int {
        let index = index
        return try await BlockingIO.run { try index.addAliases(aliases) }
    }

    public func aliases(after: SHA256Digest?, limit: Int) async throws -> [LegacyAlias] {
        let index = index
        return try await BlockingIO.run { try index.aliases(after: after, limit: limit) }
    }
}
