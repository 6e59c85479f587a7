public import VaultCore

/// What books say about their audio (`BookLink`) in and out of a cluster, once the assets and their links are
/// there: each link that says something is described the same way on the other side, so the book manifest
/// answers identically. Describing is idempotent, so a run again changes nothing.
extension ClusterMigration {
    public func bookLinksIntoCluster(_ summary: inout Summary) async throws {
        let index = local.index
        var after: String?
        while true {
            let books = try await BlockingIO.run { [after] in try index.bookIds(after: after, limit: Self.page) }
            guard let last = books.last else { return }
            for book in books {
                guard let id = try? StorageIdentifier(book, kind: .bookId) else { continue }
                for entry in try await BlockingIO.run({ try index.chapters(ofBook: id) }) where !entry.link.isEmpty {
                    guard let hash = SHA256Digest(hex: entry.record.contentHash) else { continue }
                    if try await catalog.describe(hash, in: id, as: entry.link) { summary.bookLinksDescribed += 1 }
                }
            }
            after = last
        }
    }

    public func bookLinksOutOfCluster(_ summary: inout Summary) async throws {
        let index = local.index
        var after: String?
        while true {
            let books = try await catalog.books(after: after, limit: Self.page)
            guard let last = books.last else { return }
            for book in books {
                guard let id = try? StorageIdentifier(book, kind: .bookId) else { continue }
                for entry in try await catalog.bookEntries(id) where !entry.link.isEmpty {
                    guard let hash = SHA256Digest(hex: entry.record.contentHash) else { continue }
                    if try await BlockingIO.run({ try index.describe(hash, in: id, as: entry.link) }) { summary.bookLinksDescribed += 1 }
                }
            }
            after = last
        }
    }
}
