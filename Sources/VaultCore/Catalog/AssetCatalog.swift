/// The catalog's half of the asset store (Docs/CLUSTER.md, "The seam"): which assets exist, what each record
/// says, which books link each one, and the character timings stored with it. The bytes are elsewhere (the
/// data directory's files embedded, a `BlobStore` in a cluster); the record's `sha256` names them.
///
/// Invariants every implementation keeps, whatever holds the records:
/// - each method is one atomic step against every other caller, on any node: a record and its book links
///   never disagree, and a record is never half-written;
/// - first writer wins: once a hash has a record, `publish` only adds books to it (the bytes under a hash never
///   change), and its timings are those stored with the first record;
/// - a record's `bookIds` are sorted and unique, and a record with no book does not exist.
public protocol AssetCatalog: Sendable {
    func record(for hash: SHA256Digest) async throws -> AssetRecord?
    /// The record and its timings as one snapshot sees them; nil when there is no record.
    func recordWithAlignment(for hash: SHA256Digest) async throws -> (record: AssetRecord, alignment: SpeechAlignment?)?
    /// Inserts `record` (its `bookIds` the books it is published into) with `alignment` when its hash has no
    /// record; else adds those books to the record there. The stored record, and whether this call made it.
    func publish(_ record: AssetRecord, alignment: SpeechAlignment?) async throws -> (record: AssetRecord, inserted: Bool)
    /// Adds a book to an existing asset; nil when there is no record.
    func link(_ hash: SHA256Digest, to bookId: StorageIdentifier) async throws -> AssetRecord?
    /// Removes one book's link; the record goes with its last book. Nil when the book did not link the asset.
    func unlink(_ hash: SHA256Digest, from bookId: StorageIdentifier) async throws -> AssetUnlinking?
    /// Removes the record and every link; the record as it was, nil when there was none.
    func remove(_ hash: SHA256Digest) async throws -> AssetRecord?
    /// The hashes a book links, in hash order.
    func hashes(forBook bookId: StorageIdentifier) async throws -> [SHA256Digest]
    /// Records what a book says about audio it links (`BookLink`), replacing what it said; false when the book
    /// does not link it or already says exactly that.
    func describe(_ hash: SHA256Digest, in bookId: StorageIdentifier, as details: BookLink) async throws -> Bool
    /// Every asset a book links, with what the book says about each, in hash order.
    func bookEntries(_ bookId: StorageIdentifier) async throws -> [BookEntry]
    /// The content hash a legacy key was imported as (`LegacyAlias`); nil when it has no alias.
    func aliasTarget(_ legacyKey: SHA256Digest) async throws -> SHA256Digest?
    /// Adds the aliases whose legacy keys have none yet; one already there is kept as it is. The number added.
    func addAliases(_ aliases: [LegacyAlias]) async throws -> Int
    /// Aliases in legacy-key order (bytewise) after `after`, at most `limit`.
    func aliases(after: SHA256Digest?, limit: Int) async throws -> [LegacyAlias]
}

/// What `AssetCatalog.unlink` did: the record before, and whether it went with its last book.
public struct AssetUnlinking: Sendable, Equatable {
    public let before: AssetRecord
    public let recordRemoved: Bool
    public init(before: AssetRecord, recordRemoved: Bool) {
        self.before = before
        self.recordRemoved = recordRemoved
    }
}
