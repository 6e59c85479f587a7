import Foundation

/// Listening positions in the usage ledger's SQLite file (`positions`, schema 3), each save one `BEGIN
/// IMMEDIATE` transaction, so the check of the stored time and of the key's count and the write are one step.
public struct EmbeddedListeningPositions: ListeningPositions {
    public let ledger: UsageLedger

    public init(ledger: UsageLedger) { self.ledger = ledger }

    public func save(_ position: ListeningPosition, keyId: String, limitPerKey: Int) async throws -> PositionSave {
        let ledger = ledger
        return try await BlockingIO.run {
            try ledger.lock.withLock {
                try ledger.database.transaction { () throws -> PositionSave in
                    let key: [SQLiteDatabase.Value] = [.text(keyId), .text(position.listener), .text(position.bookId)]
                    let stored = try ledger.database.rows(
                        "SELECT chapter_id, char, at FROM positions WHERE key_id = ?1 AND listener = ?2 AND book_id = ?3", key
                    ).first
                    if let stored, let at = stored[2].double, at > position.at {
                        return .kept(
                            ListeningPosition(
                                listener: position.listener, bookId: position.bookId, chapterId: stored[0].string ?? "",
                                character: stored[1].int ?? 0, at: at))
                    }
                    if stored == nil {
                        let count =
                            try ledger.database.rows("SELECT count(*) FROM positions WHERE key_id = ?1", [.text(keyId)])
                            .first?.first?.int ?? 0
                        if count >= limitPerKey { return .limitReached(limitPerKey) }
                    }
                    try ledger.database.run(
                        """
                        INSERT INTO positions (key_id, listener, book_id, chapter_id, char, at, saved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                        ON CONFLICT (key_id, listener, book_id) DO UPDATE SET
                        chapter_id = excluded.chapter_id, char = excluded.char, at = excluded.at, saved_at = excluded.saved_at
                        """,
                        key + [
                            .text(position.chapterId), .integer(position.character), .real(position.at),
                            .real(Date().timeIntervalSince1970),
                        ])
                    return .saved(position)
                }
            }
        }
    }

    public func position(keyId: String, listener: String, bookId: String) async throws -> ListeningPosition? {
        let ledger = ledger
        return try await BlockingIO.run {
            try ledger.query(
                "SELECT chapter_id, char, at FROM positions WHERE key_id = ?1 AND listener = ?2 AND book_id = ?3",
                [.text(keyId), .text(listener), .text(bookId)]
            ).first.map {
                ListeningPosition(
                    listener: listener, bookId: bookId, chapterId: $0[0].string ?? "", character: $0[1].int ?? 0, at: $0[2].double ?? 0)
            }
        }
    }
}
