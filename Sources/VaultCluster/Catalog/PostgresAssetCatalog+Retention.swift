import Logging
public import PostgresNIO
public import VaultCore

/// What the cluster's quota and the operator's retention tools read and change in the catalog (migration 6):
/// heard times, pinned books, eviction with its guards, and filtered pages of assets for a purge.
extension PostgresAssetCatalog {
    /// Each asset keeps the latest of its stored and the given times; unknown hashes are ignored.
    public func recordHeard(_ times: [SHA256Digest: Double]) async throws {
        guard !times.isEmpty else { return }
        let pairs = Array(times)
        try await client.query(
            """
            UPDATE assets SET heard_at = greatest(coalesce(heard_at, 0), heard.at)
            FROM unnest(\(pairs.map { $0.key.hex }), \(pairs.map { $0.value })) AS heard (hash, at)
            WHERE assets.hash = heard.hash
            """, logger: logger)
    }

    /// True when the book was not pinned before.
    public func pin(_ bookId: StorageIdentifier, at time: Double) async throws -> Bool {
        try await client.query(
            "INSERT INTO book_pins (book_id, pinned_at) VALUES (\(bookId.value), \(time)) ON CONFLICT DO NOTHING RETURNING 1",
            logger: logger
        ).collect().count == 1
    }

    /// True when the book was pinned.
    public func unpin(_ bookId: StorageIdentifier) async throws -> Bool {
        try await client.query("DELETE FROM book_pins WHERE book_id = \(bookId.value) RETURNING 1", logger: logger).collect().count == 1
    }

    public func pinnedBooks() async throws -> [(bookId: String, pinnedAt: Double)] {
        let rows = try await client.query("SELECT book_id, pinned_at FROM book_pins ORDER BY book_id COLLATE \"C\"", logger: logger)
        var pins: [(bookId: String, pinnedAt: Double)] = []
        for try await (book, at) in rows.decode((String, Double).self) { pins.append((book, at)) }
        return pins
    }

    /// Every asset with its size, when it was last heard (the later of heard and created) and whether a pinned
    /// book links it.
    public func evictionCandidates() async throws -> [EvictionPlan.Candidate] {
        let rows = try await client.query(
            """
            SELECT hash, byte_size, greatest(coalesce(heard_at, 0), created_at),
                   EXISTS (SELECT 1 FROM asset_books b JOIN book_pins p USING (book_id) WHERE b.hash = a.hash)
            FROM assets a
            """, logger: logger)
        var candidates: [EvictionPlan.Candidate] = []
        for try await (hex, size, heard, pinned) in rows.decode((String, Int, Double, Bool).self) {
            guard let hash = SHA256Digest(hex: hex) else { continue }
            candidates.append(.init(hash: hash, bytes: size, lastHeard: heard, pinned: pinned))
        }
        return candidates
    }

    /// Removes the asset unless a pinned book links it or it was heard after `plannedLastHeard`, deciding under
    /// the asset row's lock, so a pin or a hearing recorded meanwhile keeps it. Announced as any removal.
    public func evict(_ hash: SHA256Digest, plannedLastHeard: Double) async throws -> ClusterEviction {
        let logger = logger
        return try await client.withTransaction(logger: logger) { connection in
            guard try await Self.lock(hash, on: connection, logger: logger),
                let before = try await Self.record(hash, on: connection, logger: logger)
            else { return .absent }
            let kept =
                try await connection.query(
                    """
                    SELECT 1 FROM assets a WHERE hash = \(hash.hex) AND (
                        coalesce(heard_at, 0) > \(plannedLastHeard)
                        OR EXISTS (SELECT 1 FROM asset_books b JOIN book_pins p USING (book_id) WHERE b.hash = a.hash))
                    """, logger: logger
                ).collect().count == 1
            if kept { return .kept }
            try await connection.query("DELETE FROM assets WHERE hash = \(hash.hex)", logger: logger)
            try await Self.announce(.removed(hash), on: connection, logger: logger)
            return .evicted(before)
        }
    }

    /// Hashes of the assets `filter` matches, in hash order after `after`.
    public func hashes(matching filter: AssetFilter, after: SHA256Digest?, limit: Int) async throws -> [SHA256Digest] {
        let rows = try await client.query(
            """
            SELECT hash FROM assets a
            WHERE hash > \(after?.hex ?? "")
              AND (\(filter.voiceId)::text IS NULL OR voice_id = \(filter.voiceId))
              AND (\(filter.modelId)::text IS NULL OR model_id = \(filter.modelId))
              AND (\(filter.createdBefore)::double precision IS NULL OR created_at < \(filter.createdBefore))
              AND (\(filter.createdAfter)::double precision IS NULL OR created_at >= \(filter.createdAfter))
              AND (\(filter.bookId?.value)::text IS NULL
                   OR EXISTS (SELECT 1 FROM asset_books b WHERE b.hash = a.hash AND b.book_id = \(filter.bookId?.value)))
            ORDER BY hash COLLATE "C" LIMIT \(limit)
            """, logger: logger)
        var hashes: [SHA256Digest] = []
        for try await hex in rows.decode(String.self) { if let hash = SHA256Digest(hex: hex) { hashes.append(hash) } }
        return hashes
    }
}
