/// Deleting audio through the voice service, so every deletion is reported to the same sinks as hits and
/// generations (the ledger's admin actions, the metrics). The store does the work, off the cooperative pool,
/// in its crash-safe order.
///
/// On a cluster node the catalog goes first (the local store is never ahead of it): the removal is the
/// cluster's, the node drops its own copy at once, and every other node drops its copy when the catalog tells it
/// (`CatalogFollower`).
extension VoiceService {
    /// The asset leaves every book. Nil when the index has no such asset.
    public func removeAsset(_ hash: SHA256Digest) async throws -> Removal? {
        let store = store
        var removal: Removal?
        if let cluster {
            removal = try await cluster.remove(hash).map(Self.removal(of:))
            _ = try await BlockingIO.run { try store.remove(hash) }
        } else {
            removal = try await BlockingIO.run { try store.remove(hash) }
        }
        report(removal, .init(action: "delete audio", contentHash: hash.hex, bookId: nil, detail: nil))
        return removal
    }

    /// The book's references go; audio left with no book goes too. Nil when the book references nothing.
    public func removeBook(_ bookId: StorageIdentifier) async throws -> Removal? {
        let store = store
        var removal: Removal?
        if let cluster {
            for hash in try await cluster.hashes(forBook: bookId) {
                guard let unlinking = try await cluster.unlink(hash, from: bookId) else { continue }
                var one = removal ?? Removal()
                one.add(Self.removal(of: unlinking, book: bookId))
                removal = one
            }
            _ = try await BlockingIO.run { try store.removeBook(bookId) }
        } else {
            removal = try await BlockingIO.run { try store.removeBook(bookId) }
        }
        report(removal, .init(action: "delete book", contentHash: nil, bookId: bookId.value, detail: nil))
        return removal
    }

    /// One book's reference to one asset. Nil when the book did not reference it.
    public func removeReference(_ hash: SHA256Digest, from bookId: StorageIdentifier) async throws -> Removal? {
        let store = store
        var removal: Removal?
        if let cluster {
            removal = try await cluster.unlink(hash, from: bookId).map { Self.removal(of: $0, book: bookId) }
            _ = try await BlockingIO.run { try store.unlink(hash, from: bookId) }
        } else {
            removal = try await BlockingIO.run { try store.unlink(hash, from: bookId) }
        }
        report(removal, .init(action: "delete book reference", contentHash: hash.hex, bookId: bookId.value, detail: nil))
        return removal
    }

    /// Deletes what `filter` matches (`AssetStore.purge`); a dry run deletes and reports nothing.
    public func purge(_ filter: AssetFilter, dryRun: Bool) async throws -> AssetStore.PurgeResult {
        if let cluster { return try await purge(filter, dryRun: dryRun, on: cluster) }
        let store = store
        let result = try await BlockingIO.run { try store.purge(filter, dryRun: dryRun) }
        if !dryRun {
            report(
                result.removal,
                .init(
                    action: "purge", contentHash: nil, bookId: filter.bookId?.value,
                    detail: "matched \(result.matched)"))
        }
        return result
    }

    /// A purge on a cluster node: the catalog filtered page by page, each match removed (or unlinked from the
    /// filter's book) through the cluster as an operator's delete is.
    private func purge(_ filter: AssetFilter, dryRun: Bool, on cluster: any ClusterStore) async throws -> AssetStore.PurgeResult {
        var result = AssetStore.PurgeResult()
        var cursor: SHA256Digest?
        let store = store
        while true {
            let page = try await cluster.hashes(matching: filter, after: cursor, limit: 512)
            for hash in page {
                result.matched += 1
                if result.sample.count < AssetStore.PurgeResult.sampleLimit { result.sample.append(hash) }
                if dryRun { continue }
                if let book = filter.bookId {
                    if let unlinking = try await cluster.unlink(hash, from: book) {
                        result.removal.add(Self.removal(of: unlinking, book: book))
                    }
                    _ = try await BlockingIO.run { try store.unlink(hash, from: book) }
                } else {
                    if let record = try await cluster.remove(hash) { result.removal.add(Self.removal(of: record)) }
                    _ = try await BlockingIO.run { try store.remove(hash) }
                }
            }
            guard page.count == 512, let last = page.last else { break }
            cursor = last
        }
        if !dryRun {
            report(
                result.removal,
                .init(action: "purge", contentHash: nil, bookId: filter.bookId?.value, detail: "matched \(result.matched)"))
        }
        return result
    }

    /// What removing `record` from the cluster removed: every book's link, and its bytes once.
    static func removal(of record: AssetRecord) -> Removal {
        var removal = Removal()
        removal.books = record.bookIds
        removal.links = record.bookIds.count
        removal.assetsRemoved = 1
        removal.bytesFreed = record.byteSize
        return removal
    }

    static func removal(of unlinking: AssetUnlinking, book: StorageIdentifier) -> Removal {
        var removal = Removal()
        removal.books = [book.value]
        removal.links = 1
        if unlinking.recordRemoved {
            removal.assetsRemoved = 1
            removal.bytesFreed = unlinking.before.byteSize
        }
        return removal
    }

    private func report(_ removal: Removal?, _ deletion: VoiceEvent.Deletion) {
        guard let removal else { return }
        var deletion = deletion
        deletion.removal = removal
        events.record(.deleted(deletion))
    }
}
