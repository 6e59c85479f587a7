public import PostgresNIO
public import VaultCore

/// What books say about their audio (`BookLink`) in the cluster's catalog: columns of each `asset_books` row
/// (migration 13), so a link and what it says go together, as in the embedded index.
extension PostgresAssetCatalog {
    public func describe(_ hash: SHA256Digest, in bookId: StorageIdentifier, as details: BookLink) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE asset_books SET chapter_id = \(details.chapterId), chapter_index = \(details.chapterIndex),
                chapter_title = \(details.chapterTitle)
            WHERE book_id = \(bookId.value) AND hash = \(hash.hex)
              AND (chapter_id IS DISTINCT FROM \(details.chapterId) OR chapter_index IS DISTINCT FROM \(details.chapterIndex)
                   OR chapter_title IS DISTINCT FROM \(details.chapterTitle))
            RETURNING hash
            """, logger: logger)
        return try await rows.collect().count == 1
    }

    public func bookEntries(_ bookId: StorageIdentifier) async throws -> [BookEntry] {
        try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT b.hash, b.chapter_id, b.chapter_index, b.chapter_title, a.alignment IS NOT NULL
                FROM asset_books b JOIN assets a ON a.hash = b.hash
                WHERE b.book_id = \(bookId.value) ORDER BY b.hash COLLATE "C"
                """, logger: logger)
            var links: [(SHA256Digest, BookLink, Bool)] = []
            for try await (hex, chapterId, chapterIndex, chapterTitle, timed) in rows.decode((String, String?, Int?, String?, Bool).self) {
                guard let hash = SHA256Digest(hex: hex) else { continue }
                links.append((hash, BookLink(chapterId: chapterId, chapterIndex: chapterIndex, chapterTitle: chapterTitle), timed))
            }
            var entries: [BookEntry] = []
            for (hash, link, timed) in links {
                // One removed since the links were read is left out.
                guard let record = try await Self.record(hash, on: connection, logger: logger) else { continue }
                entries.append(BookEntry(record: record, link: link, hasAlignment: timed))
            }
            return entries
        }
    }
}
