extension AssetStore {
    /// What a purge matched and removed.
    public struct PurgeResult: Sendable, Equatable {
        /// Assets the filter matched.
        public var matched = 0
        /// The first matched hashes (at most `sampleLimit`), so an operator can check a dry run.
        public var sample: [SHA256Digest] = []
        /// What was removed; empty for a dry run.
        public var removal = Removal()
        public static let sampleLimit = 100
    }

    /// Deletes what `filter` matches: with a book, that book's references (audio left with no book goes);
    /// without one, the matching assets everywhere (a voice retrained under the same id, a retired model).
    /// A dry run reports and deletes nothing.
    ///
    /// Works in pages of the index in hash order and deletes as it goes, so memory stays flat whatever the
    /// index holds. Each deletion takes the asset's lock and keeps the crash order, as single deletes do.
    public func purge(_ filter: AssetFilter, dryRun: Bool) throws -> PurgeResult {
        var result = PurgeResult()
        var cursor: SHA256Digest?
        repeat {
            let page = try index.page(matching: filter, after: cursor, limit: 512)
            for record in page.records {
                guard let hash = SHA256Digest(hex: record.contentHash) else { continue }
                result.matched += 1
                if result.sample.count < PurgeResult.sampleLimit { result.sample.append(hash) }
                if dryRun { continue }
                let removal = if let book = filter.bookId { try unlink(hash, from: book) } else { try remove(hash) }
                if let removal { result.removal.add(removal) }
            }
            cursor = page.nextCursor
        } while cursor != nil
        return result
    }
}
