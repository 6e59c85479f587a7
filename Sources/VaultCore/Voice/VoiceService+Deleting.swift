/// Deleting audio through the voice service, so every deletion is reported to the same sinks as hits and
/// generations (the ledger's admin actions, the metrics). The store does the work, off the cooperative pool,
/// in its crash-safe order.
extension VoiceService {
    /// The asset leaves every book. Nil when the index has no such asset.
    public func removeAsset(_ hash: SHA256Digest) async throws -> Removal? {
        let store = store
        let removal = try await BlockingIO.run { try store.remove(hash) }
        report(removal, .init(action: "delete audio", contentHash: hash.hex, bookId: nil, detail: nil))
        return removal
    }

    /// The book's references go; audio left with no book goes too. Nil when the book references nothing.
    public func removeBook(_ bookId: StorageIdentifier) async throws -> Removal? {
        let store = store
        let removal = try await BlockingIO.run { try store.removeBook(bookId) }
        report(removal, .init(action: "delete book", contentHash: nil, bookId: bookId.value, detail: nil))
        return removal
    }

    /// One book's reference to one asset. Nil when the book did not reference it.
    public func removeReference(_ hash: SHA256Digest, from bookId: StorageIdentifier) async throws -> Removal? {
        let store = store
        let removal = try await BlockingIO.run { try store.unlink(hash, from: bookId) }
        report(removal, .init(action: "delete book reference", contentHash: hash.hex, bookId: bookId.value, detail: nil))
        return removal
    }

    /// Deletes what `filter` matches (`AssetStore.purge`); a dry run deletes and reports nothing.
    public func purge(_ filter: AssetFilter, dryRun: Bool) async throws -> AssetStore.PurgeResult {
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

    private func report(_ removal: Removal?, _ deletion: VoiceEvent.Deletion) {
        guard let removal else { return }
        var deletion = deletion
        deletion.removal = removal
        events.record(.deleted(deletion))
    }
}
