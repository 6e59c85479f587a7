import Foundation
import Logging
public import PostgresNIO
public import VaultCore

/// Listening positions in the cluster's catalog (`listening_positions`, migration 14). A save is one
/// transaction under the key's transaction lock, so the check of the stored time and of the key's count and
/// the write are one step against every node.
public struct PostgresListeningPositions: ListeningPositions {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func save(_ position: ListeningPosition, keyId: String, limitPerKey: Int) async throws -> PositionSave {
        let logger = logger
        return try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey(keyId)))", logger: logger)
            let rows = try await connection.query(
                """
                SELECT chapter_id, char, at FROM listening_positions
                WHERE key_id = \(keyId) AND listener = \(position.listener) AND book_id = \(position.bookId)
                """, logger: logger)
            var stored: (String, Int, Double)?
            for try await row in rows.decode((String, Int, Double).self) { stored = row }
            if let stored, stored.2 > position.at {
                return .kept(
                    ListeningPosition(
                        listener: position.listener, bookId: position.bookId, chapterId: stored.0, character: stored.1, at: stored.2))
            }
            if stored == nil {
                let counted = try await connection.query(
                    "SELECT count(*) FROM listening_positions WHERE key_id = \(keyId)", logger: logger)
                var count = 0
                for try await value in counted.decode(Int.self) { count = value }
                if count >= limitPerKey { return .limitReached(limitPerKey) }
            }
            try await connection.query(
                """
                INSERT INTO listening_positions VALUES (\(keyId), \(position.listener), \(position.bookId), \(position.chapterId),
                    \(position.character), \(position.at), \(Date().timeIntervalSince1970))
                ON CONFLICT (key_id, listener, book_id) DO UPDATE SET chapter_id = excluded.chapter_id, char = excluded.char,
                    at = excluded.at, saved_at = excluded.saved_at
                """, logger: logger)
            return .saved(position)
        }
    }

    public func position(keyId: String, listener: String, bookId: String) async throws -> ListeningPosition? {
        let rows = try await client.query(
            """
            SELECT chapter_id, char, at FROM listening_positions
            WHERE key_id = \(keyId) AND listener = \(listener) AND book_id = \(bookId)
            """, logger: logger)
        for try await (chapter, character, at) in rows.decode((String, Int, Double).self) {
            return ListeningPosition(listener: listener, bookId: bookId, chapterId: chapter, character: character, at: at)
        }
        return nil
    }

    /// The key's transaction lock: a hash of its id (a collision with another lock only makes one wait for the other).
    static func lockKey(_ keyId: String) -> Int64 {
        let digest = SHA256Digest.of("listening-positions " + keyId)
        return digest.bytes.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
