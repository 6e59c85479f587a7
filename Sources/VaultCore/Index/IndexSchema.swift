/// Schema versions of the LMDB index and the migrations between them.
///
/// The version lives under the key `schema_version` in the `meta` database. Opening an index runs, inside
/// one write transaction, every migration from the stored version up to `current`, so a crash mid-migration
/// leaves the old version intact. An index newer than `current` is refused (no silent downgrade).
public enum IndexSchema {
    public static let current = 4

    /// One step from `version - 1` to `version`.
    struct Migration: Sendable {
        let version: Int
        let summary: String
        let apply: @Sendable (borrowing LMDBTransaction, AssetIndex.Databases) throws -> Void
    }

    /// Ordered migrations. Version 1 is the first layout (assets, books, meta); an empty environment is
    /// stamped with it. Future versions append here, e.g. re-encoding records in place.
    static let migrations: [Migration] = [
        Migration(version: 1, summary: "initial layout: assets by hash, book -> hash keys, meta") { _, _ in },
        // The database itself is created when the index opens; the stamp keeps an older server, which would not
        // delete timings with their asset, from opening this index.
        Migration(version: 2, summary: "alignments: character timings by hash, beside the records") { _, _ in },
        // Imported records carry flag 0x04, which an older server would read as generated audio: harmless, but
        // it would not resolve aliases, so the stamp keeps it out.
        Migration(version: 3, summary: "aliases: legacy keys of imported rows -> content hashes") { _, _ in },
        // The byte total is kept in step by every later write; this walk, once, starts it at the truth.
        Migration(version: 4, summary: "pins, heard times and the stored byte total (for the disk quota)") { txn, databases in
            var total = 0
            try txn.scan(prefix: [], in: databases.assets) { key, value in
                total += (try? value.withUnsafeBytes { try AssetIndex.decode($0, hash: AssetIndex.describeKey(key)) })?.byteSize ?? 0
                return true
            }
            try txn.put(AssetIndex.encodeCount(total), for: AssetIndex.storedBytesKey, in: databases.meta)
        },
    ]

    /// The migrations needed to bring `stored` (nil for a new index) up to `current`.
    static func plan(from stored: Int?) throws(IndexError) -> [Migration] {
        let from = stored ?? 0
        if from > current { throw .newerSchema(found: from, supported: current) }
        return migrations.filter { $0.version > from && $0.version <= current }
    }
}
