public import PostgresNIO
public import VaultCore

/// Legacy aliases in the cluster's catalog (`legacy_aliases`, migration 10), as the embedded index holds them:
/// a legacy key names the content hash its row was imported as. No foreign key to `assets`: an alias outlives
/// its asset, and finds it again once it is made again.
extension PostgresAssetCatalog {
    public func aliasTarget(_ legacyKey: SHA256Digest) async throws -> SHA256Digest? {
        let rows = try await client.query(
            "SELECT content_hash FROM legacy_aliases WHERE legacy_key = \(legacyKey.hex)", logger: logger)
        for try await hex in rows.decode(String.self) { return SHA256Digest(hex: hex) }
        return nil
    }

    public func addAliases(_ aliases: [LegacyAlias]) async throws -> Int {
        guard !aliases.isEmpty else { return 0 }
        let rows = try await client.query(
            """
            INSERT INTO legacy_aliases (legacy_key, content_hash)
            SELECT * FROM unnest(\(aliases.map(\.legacyKey.hex))::text[], \(aliases.map(\.contentHash.hex))::text[])
            ON CONFLICT (legacy_key) DO NOTHING
            RETURNING legacy_key
            """, logger: logger)
        return try await rows.collect().count
    }

    public func aliases(after: SHA256Digest?, limit: Int) async throws -> [LegacyAlias] {
        let rows = try await client.query(
            """
            SELECT legacy_key, content_hash FROM legacy_aliases
            WHERE \(after?.hex)::text IS NULL OR legacy_key > \(after?.hex)
            ORDER BY legacy_key LIMIT \(limit)
            """, logger: logger)
        var page: [LegacyAlias] = []
        for try await (key, hash) in rows.decode((String, String).self) {
            guard let legacyKey = SHA256Digest(hex: key), let contentHash = SHA256Digest(hex: hash) else {
                throw IndexError.corruptRecord(hash: key, reason: "a legacy alias in the catalog is not a pair of sha256s")
            }
            page.append(LegacyAlias(legacyKey: legacyKey, contentHash: contentHash))
        }
        return page
    }
}
