import Foundation

/// The LMDB index of assets: `assets` (32 raw digest bytes -> binary record, `AssetRecordCodec`), `books` (`<bookId>/<hash>` -> the
/// link's `BookLink`, empty when it says nothing; the secondary index for listing and deleting by book) and `meta` (schema version).
///
/// Reads are lock-free snapshots; every mutation is one write transaction that keeps the record and the
/// book keys consistent with each other.
public final class AssetIndex: Sendable {
    struct Databases: Sendable {
        let assets: LMDBDatabase
        let books: LMDBDatabase
        let meta: LMDBDatabase
        /// 32 raw digest bytes -> `SpeechAlignmentCodec` value: kept out of the hot record, which a cache hit
        /// decodes, and written and deleted in the same transactions as the record it belongs to.
        let alignments: LMDBDatabase
        /// 32 raw bytes of a legacy key (`LegacyContentHash`) -> 32 raw bytes of the content hash it was
        /// imported as. An alias outlives its asset: once the asset is made again, the alias finds it again.
        let aliases: LMDBDatabase
        /// Book id -> 8-byte time it was pinned: audio any pinned book references is never evicted.
        let pins: LMDBDatabase
        /// 32 raw digest bytes -> 8-byte time the asset was last heard (a hit or a download), written in batches
        /// by `HeardLog`; deleted with the asset.
        let heard: LMDBDatabase
    }

    public let environment: LMDBEnvironment
    let databases: Databases
    /// Schema version found before opening migrated it (nil for a new index): for the start-up log.
    public let openedFromSchemaVersion: Int?

    static let schemaVersionKey = Array("schema_version".utf8)
    /// In `meta`: the bytes of every asset, each hash counted once, kept in step by `replace` in the same
    /// transaction as the record it changes, so the quota never needs a walk of the index.
    static let storedBytesKey = Array("stored_bytes".utf8)

    public convenience init(directory: String, options: LMDBEnvironment.Options = .init()) throws {
        try self.init(environment: try LMDBEnvironment(directory: directory, options: options))
    }

    /// The index in an environment that is already open (LMDB allows one environment per file per process, so
    /// everything sharing the data file shares this one), migrating its schema if needed.
    public init(environment: LMDBEnvironment) throws {
        self.environment = environment
        if environment.isReadOnly {
            // Only a writer migrates: a reader beside a server needs the schema this version knows, and the meta
            // database is read first because a database of a later schema may not exist yet.
            let meta = try environment.database(named: "meta")
            let stored = try environment.read { txn in
                try txn.get(Self.schemaVersionKey, in: meta).flatMap { Int(String(decoding: $0, as: UTF8.self)) }
            }
            guard stored == IndexSchema.current else { throw IndexError.schemaNotCurrent(found: stored, current: IndexSchema.current) }
            openedFromSchemaVersion = stored
            databases = try Self.openDatabases(environment)
            return
        }
        databases = try Self.openDatabases(environment)
        let databases = databases
        openedFromSchemaVersion = try environment.write { txn in
            let stored = try Self.storedSchemaVersion(txn, databases)
            let steps = try IndexSchema.plan(from: stored)
            for step in steps { try step.apply(txn, databases) }
            if !steps.isEmpty {
                try txn.put(Array(String(IndexSchema.current).utf8), for: Self.schemaVersionKey, in: databases.meta)
            }
            return stored
        }
    }

    static func openDatabases(_ environment: LMDBEnvironment) throws -> Databases {
        Databases(
            assets: try environment.database(named: "assets"),
            books: try environment.database(named: "books"),
            meta: try environment.database(named: "meta"),
            alignments: try environment.database(named: "alignments"),
            aliases: try environment.database(named: "aliases"),
            pins: try environment.database(named: "pins"),
            heard: try environment.database(named: "heard"))
    }

    static func storedSchemaVersion(_ txn: borrowing LMDBTransaction, _ databases: Databases) throws -> Int? {
        guard let raw = try txn.get(schemaVersionKey, in: databases.meta) else { return nil }
        let text = String(decoding: raw, as: UTF8.self)
        guard let version = Int(text) else { throw IndexError.unreadableSchemaVersion(text) }
        return version
    }

    public var schemaVersion: Int? {
        get throws { try environment.read { try Self.storedSchemaVersion($0, databases) } }
    }

    // MARK: Reads

    public func record(for hash: SHA256Digest) throws -> AssetRecord? {
        try environment.read { try Self.record(hash, in: $0, databases) }
    }

    /// What a download of `hash` from `book` is decided on (`AssetRecordCodec.downloadFields`); nil when there
    /// is no record. The same snapshot and the same corruption errors as `record(for:)`.
    public func downloadFields(for hash: SHA256Digest, book: String) throws -> AssetDownloadFields? {
        var book = book
        return try book.withUTF8 { book in
            try environment.read { txn in
                try txn.withValue(Self.assetKey(hash), in: databases.assets) { bytes -> AssetDownloadFields? in
                    guard let bytes else { return nil }
                    return try Self.reading(hash: hash.hex) {
                        try AssetRecordCodec.downloadFields(bytes, book: UnsafeRawBufferPointer(book))
                    }
                }
            }
        }
    }

    /// When each character of the asset's speech is spoken; nil for audio stored without timings (made before
    /// timings were kept, or uploaded without them).
    public func alignment(for hash: SHA256Digest) throws -> SpeechAlignment? {
        try environment.read { try Self.alignment(hash, in: $0, databases) }
    }

    /// The record and its timings as one snapshot sees them (nil when there is no record): for the answers
    /// that show both, so they never pair a record with timings from another moment.
    public func recordWithAlignment(for hash: SHA256Digest) throws -> (record: AssetRecord, alignment: SpeechAlignment?)? {
        try environment.read { txn in
            guard let record = try Self.record(hash, in: txn, databases) else { return nil }
            return (record, try Self.alignment(hash, in: txn, databases))
        }
    }

    static func alignment(_ hash: SHA256Digest, in txn: borrowing LMDBTransaction, _ databases: Databases) throws
        -> SpeechAlignment?
    {
        try txn.withValue(assetKey(hash), in: databases.alignments) { bytes in
            guard let bytes else { return nil }
            do { return try SpeechAlignmentCodec.decode(bytes) } catch {
                throw IndexError.corruptRecord(hash: hash.hex, reason: "alignment: \(error)")
            }
        }
    }

    // MARK: Legacy aliases

    /// Records that `legacyKey` (the old app's key for a row) names the asset `hash`. Idempotent: an import that
    /// runs again writes the same alias.
    public func setAlias(_ legacyKey: SHA256Digest, for hash: SHA256Digest) throws {
        let databases = databases
        try environment.write { txn in
            try txn.put(hash.bytes, for: legacyKey.bytes, in: databases.aliases)
        }
    }

    /// Adds the aliases whose legacy keys have none yet, in one transaction; an alias already there is kept as it
    /// is, whatever it names. The number added.
    public func addAliases(_ aliases: [LegacyAlias]) throws -> Int {
        let databases = databases
        return try environment.write { txn in
            var added = 0
            for alias in aliases
            where try txn.put(alias.contentHash.bytes, for: alias.legacyKey.bytes, in: databases.aliases, overwrite: false) {
                added += 1
            }
            return added
        }
    }

    /// The content hash a legacy key was imported as, if any.
    public func aliasTarget(_ legacyKey: SHA256Digest) throws -> SHA256Digest? {
        try environment.read { txn in
            try txn.withValue(legacyKey.bytes, in: databases.aliases) { bytes in bytes.flatMap { SHA256Digest(bytes: Array($0)) } }
        }
    }

    /// The record for `key`, a content hash or, failing that, a legacy key's alias: lookups accept either, so
    /// the old app's stored keys keep working after an import.
    public func record(forHashOrAlias key: SHA256Digest) throws -> AssetRecord? {
        try environment.read { txn in
            if let record = try Self.record(key, in: txn, databases) { return record }
            let target = try txn.withValue(key.bytes, in: databases.aliases) { bytes in
                bytes.flatMap { SHA256Digest(bytes: Array($0)) }
            }
            guard let target else { return nil }
            return try Self.record(target, in: txn, databases)
        }
    }

    /// Number of legacy aliases.
    public func aliasCount() throws -> Int {
        try environment.read { try $0.count(in: databases.aliases) }
    }

    /// Legacy aliases in key order after `after`, at most `limit`: `voicevault migrate` carries them in pages.
    public func aliases(after: SHA256Digest?, limit: Int) throws -> [LegacyAlias] {
        try environment.read { txn in
            var page: [LegacyAlias] = []
            try txn.scan(prefix: [], in: databases.aliases, from: after?.bytes) { key, value in
                if let after, key == after.bytes { return true }
                if let legacyKey = SHA256Digest(bytes: key), let target = SHA256Digest(bytes: value) {
                    page.append(LegacyAlias(legacyKey: legacyKey, contentHash: target))
                }
                return page.count < limit
            }
            return page
        }
    }

    /// Content hashes referenced by a book, in hash order.
    public func hashes(forBook bookId: StorageIdentifier) throws -> [SHA256Digest] {
        try environment.read { txn in
            var result = [SHA256Digest]()
            try txn.scan(prefix: Self.bookPrefix(bookId.value), in: databases.books) { key, _ in
                if let digest = SHA256Digest(hex: String(decoding: key.suffix(64), as: UTF8.self)) {
                    result.append(digest)
                }
                return true
            }
            return result
        }
    }

    /// Book ids that reference at least one asset, in the order of their `books` keys, continuing after the book
    /// `after` when given, at most `limit` of them. The `books` keys are `<bookId>/<hash>`, so each book is one contiguous run: after the
    /// first key of a book the scan seeks past the whole run (`<bookId>0`, since `0` follows `/`), which makes
    /// listing books cost one seek per book, not one step per asset.
    public func bookIds(after: String? = nil, limit: Int = .max) throws -> [String] {
        try environment.read { txn in
            var result: [String] = []
            var seek: [UInt8]? = after.map { Array(($0 + "0").utf8) }
            while result.count < limit {
                var found: String?
                try txn.scan(prefix: [], in: databases.books, from: seek) { key, _ in
                    if let slash = key.firstIndex(of: UInt8(ascii: "/")) {
                        found = String(decoding: key[..<slash], as: UTF8.self)
                    }
                    return false
                }
                guard let book = found else { break }
                result.append(book)
                seek = Array((book + "0").utf8)
            }
            return result
        }
    }

    /// Number of asset records.
    public func count() throws -> Int {
        try environment.read { try $0.count(in: databases.assets) }
    }

    /// Visits every record in hash order, in pages so that no read transaction stays open for long
    /// (a long reader pins old pages and makes the data file grow under writes).
    ///
    /// A record that cannot be decoded is passed to `onCorrupt` with its key and the scan goes on; without a
    /// handler it is thrown. fsck reports such records; everything else treats them as errors.
    public func forEachRecord(
        pageSize: Int = 1024, onCorrupt: ((_ key: [UInt8], _ error: any Error) throws -> Void)? = nil,
        _ body: (AssetRecord) throws -> Void
    ) throws {
        var after: [UInt8]? = nil
        while true {
            var page = [Result<AssetRecord, any Error>]()
            var keys = [[UInt8]]()
            try environment.read { txn in
                try txn.scan(prefix: [], in: databases.assets, from: after) { key, value in
                    if let after, key == after { return true }
                    page.append(Result { try value.withUnsafeBytes { try Self.decode($0, hash: Self.describeKey(key)) } })
                    keys.append(key)
                    return page.count < pageSize
                }
            }
            for (key, entry) in zip(keys, page) {
                switch entry {
                case let .success(record): try body(record)
                case let .failure(error):
                    guard let onCorrupt else { throw error }
                    try onCorrupt(key, error)
                }
            }
            guard page.count == pageSize, let last = keys.last else { return }
            after = last
        }
    }

    // MARK: Writes

    /// Atomically replaces the record for `hash` with `transform(current)`; nil deletes it. The `books` keys
    /// follow the record's `bookIds`. Returns the new record.
    ///
    /// - Parameter alignment: stored with the record when this update creates it (an encoded
    ///   `SpeechAlignment`), so an asset and its timings appear in one commit.
    @discardableResult
    public func update(
        _ hash: SHA256Digest, alignment: [UInt8]? = nil, _ transform: (AssetRecord?) throws -> AssetRecord?
    ) throws -> AssetRecord? {
        let databases = databases
        return try environment.write { txn in
            let current = try Self.record(hash, in: txn, databases)
            let next = try transform(current)
            try Self.replace(current, with: next, hash: hash, in: txn, databases)
            if current == nil, next != nil, let alignment {
                try txn.put(alignment, for: Self.assetKey(hash), in: databases.alignments)
            }
            return next
        }
    }

    /// Writes many records in one transaction (bulk import). Each replaces any record under its hash; the
    /// book keys follow, as in `update`.
    public func upsert(_ records: [AssetRecord]) throws {
        let databases = databases
        try environment.write { txn in
            for record in records {
                guard let hash = SHA256Digest(hex: record.contentHash) else {
                    throw IndexError.corruptRecord(hash: record.contentHash, reason: "contentHash is not a sha256")
                }
                try Self.replace(try Self.record(hash, in: txn, databases), with: record, hash: hash, in: txn, databases)
            }
        }
    }

    /// The record for `hash` as this transaction sees it.
    static func record(_ hash: SHA256Digest, in txn: borrowing LMDBTransaction, _ databases: Databases) throws
        -> AssetRecord?
    {
        try txn.withValue(assetKey(hash), in: databases.assets) { bytes in
            try bytes.map { try decode($0, hash: hash.hex) }
        }
    }

    /// Replaces `current` with `next` (nil deletes), keeping the `books` keys in step with `bookIds`: the one
    /// place where a record and its secondary index are written, so they can never drift apart.
    static func replace(
        _ current: AssetRecord?, with next: AssetRecord?, hash: SHA256Digest, in txn: borrowing LMDBTransaction,
        _ databases: Databases
    ) throws {
        let oldBooks = Set(current?.bookIds ?? [])
        let newBooks = Set(next?.bookIds ?? [])
        for book in oldBooks.subtracting(newBooks) {
            try txn.delete(bookKey(book, hash), in: databases.books)
        }
        for book in newBooks.subtracting(oldBooks) {
            try txn.put([], for: bookKey(book, hash), in: databases.books)
        }
        if let next {
            try txn.put(try next.encoded(), for: assetKey(hash), in: databases.assets)
        } else if current != nil {
            try txn.delete(assetKey(hash), in: databases.assets)
            _ = try txn.delete(assetKey(hash), in: databases.alignments)
            _ = try txn.delete(assetKey(hash), in: databases.heard)
        }
        let delta = (next?.byteSize ?? 0) - (current?.byteSize ?? 0)
        if delta != 0 {
            let stored = try txn.get(storedBytesKey, in: databases.meta).map(decodeCount) ?? 0
            try txn.put(encodeCount(max(0, stored + delta)), for: storedBytesKey, in: databases.meta)
        }
    }

    static func encodeCount(_ value: Int) -> [UInt8] { Array(String(value).utf8) }
    static func decodeCount(_ bytes: [UInt8]) -> Int { Int(String(decoding: bytes, as: UTF8.self)) ?? 0 }

    // MARK: The disk quota

    /// Bytes of every asset, each counted once however many books link it (kept in step with the records).
    public func storedBytes() throws -> Int {
        try environment.read { try $0.get(Self.storedBytesKey, in: databases.meta).map(Self.decodeCount) ?? 0 }
    }

    /// Sets the byte total (fsck's repair, after it counted the records itself).
    public func setStoredBytes(_ bytes: Int) throws {
        let databases = databases
        try environment.write { try $0.put(Self.encodeCount(bytes), for: Self.storedBytesKey, in: databases.meta) }
    }

    /// Pins a book: none of the audio it references is evicted. Returns false when it was pinned already.
    @discardableResult
    public func pin(_ bookId: StorageIdentifier, at time: Double) throws -> Bool {
        let databases = databases
        return try environment.write { txn in
            let key = Array(bookId.value.utf8)
            if try txn.get(key, in: databases.pins) != nil { return false }
            try txn.put(Self.encodeTime(time), for: key, in: databases.pins)
            return true
        }
    }

    /// Unpins a book; false when it was not pinned.
    @discardableResult
    public func unpin(_ bookId: StorageIdentifier) throws -> Bool {
        let databases = databases
        return try environment.write { try $0.delete(Array(bookId.value.utf8), in: databases.pins) }
    }

    /// Pinned books and when each was pinned, in book order.
    public func pinnedBooks() throws -> [(bookId: String, pinnedAt: Double)] {
        try environment.read { txn in
            var result: [(String, Double)] = []
            try txn.scan(prefix: [], in: databases.pins) { key, value in
                result.append((String(decoding: key, as: UTF8.self), Self.decodeTime(value)))
                return true
            }
            return result
        }
    }

    /// Stores heard times (newer than what is stored) for assets that still exist, in one transaction.
    public func recordHeard(_ times: [SHA256Digest: Double]) throws {
        guard !times.isEmpty else { return }
        let databases = databases
        try environment.write { txn in
            for (hash, time) in times {
                let key = Self.assetKey(hash)
                guard try txn.get(key, in: databases.assets) != nil else { continue }
                if let stored = try txn.get(key, in: databases.heard).map(Self.decodeTime), stored >= time { continue }
                try txn.put(Self.encodeTime(time), for: key, in: databases.heard)
            }
        }
    }

    /// When the asset was last heard, as stored (nil: never, or not yet flushed).
    public func heardAt(_ hash: SHA256Digest) throws -> Double? {
        try environment.read { try $0.get(Self.assetKey(hash), in: databases.heard).map(Self.decodeTime) }
    }

    /// Removes the asset's record unless a pinned book references it, deciding and deleting in one write
    /// transaction: a pin committed first is always seen, so pinned audio is never evicted. Returns the removed
    /// record, or nil (no such asset, or pinned; `pinned` says which).
    public func removeUnlessPinned(_ hash: SHA256Digest) throws -> (removed: AssetRecord?, pinned: Bool) {
        let databases = databases
        return try environment.write { txn in
            guard let current = try Self.record(hash, in: txn, databases) else { return (nil, false) }
            for book in current.bookIds {
                if try txn.get(Array(book.utf8), in: databases.pins) != nil { return (nil, true) }
            }
            try Self.replace(current, with: nil, hash: hash, in: txn, databases)
            return (current, false)
        }
    }

    static func encodeTime(_ time: Double) -> [UInt8] {
        withUnsafeBytes(of: time.bitPattern.littleEndian) { Array($0) }
    }

    static func decodeTime(_ bytes: [UInt8]) -> Double {
        guard bytes.count == 8 else { return 0 }
        var bits: UInt64 = 0
        for (index, byte) in bytes.enumerated() { bits |= UInt64(byte) << UInt64(index * 8) }
        return Double(bitPattern: bits)
    }

    // MARK: Accounting

    /// Adds `characters` to every counter only if each stays within its limit, in one write transaction: all
    /// or none. Returns the first counter that refused, with its spend, or nil when the characters were added.
    public func reserveCharacters(_ characters: Int, counters: [SpendCounter]) throws -> SpendRefusal? {
        let databases = databases
        return try environment.write { txn in
            var current: [Int] = []
            for counter in counters {
                let spent =
                    try txn.get(Self.spendKey(counter), in: databases.meta).flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
                if let limit = counter.limit, spent + characters > limit { return SpendRefusal(counter: counter, spent: spent) }
                current.append(spent)
            }
            for (counter, spent) in zip(counters, current) {
                try txn.put(Array(String(spent + characters).utf8), for: Self.spendKey(counter), in: databases.meta)
            }
            return nil
        }
    }

    /// Adds (or, negative, gives back) characters on every counter in one transaction; none goes below zero.
    public func addCharactersSpent(_ characters: Int, counters: [SpendCounter]) throws {
        let databases = databases
        try environment.write { txn in
            for counter in counters {
                let spent =
                    try txn.get(Self.spendKey(counter), in: databases.meta).flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
                try txn.put(Array(String(max(0, spent + characters)).utf8), for: Self.spendKey(counter), in: databases.meta)
            }
        }
    }

    /// Characters one counter holds.
    public func charactersSpent(_ counter: SpendCounter) throws -> Int {
        try environment.read { txn in
            try txn.get(Self.spendKey(counter), in: databases.meta).flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
        }
    }

    // MARK: Keys

    /// A spend counter's key in `meta`: `spend/<yyyy-mm-dd>` for the server, `spend/<day>/key/<id>` for a client
    /// key, so a restart cannot overspend.
    static func spendKey(_ counter: SpendCounter) -> [UInt8] {
        Array(("spend/" + counter.day + (counter.client.map { "/key/" + $0 } ?? "")).utf8)
    }

    /// Asset keys are the 32 raw digest bytes, not hex: half the size, so branch pages hold twice the keys and
    /// more of the tree stays in the CPU cache at millions of records (Docs/PERFORMANCE.md).
    static func assetKey(_ hash: SHA256Digest) -> [UInt8] { hash.bytes }

    /// A printable name for an `assets` key, for reports about keys that may be damaged.
    static func describeKey(_ key: [UInt8]) -> String {
        SHA256Digest(bytes: key)?.hex ?? "<\(key.count)-byte key>"
    }

    static func bookPrefix(_ bookId: String) -> [UInt8] { Array((bookId + "/").utf8) }
    /// `<bookId>/<hash hex>`, written straight into one array (a request that names its chapter reads its link
    /// on every hit, and two string concatenations and the hex string were most of that read).
    static func bookKey(_ bookId: String, _ hash: SHA256Digest) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(bookId.utf8.count + 65)
        key.append(contentsOf: bookId.utf8)
        key.append(UInt8(ascii: "/"))
        hash.bytes.withUnsafeBytes { raw in
            for byte in raw {
                key.append(SHA256Digest.hexDigit(byte >> 4))
                key.append(SHA256Digest.hexDigit(byte & 0x0F))
            }
        }
        return key
    }

    /// `hash` is spelled only when the record is damaged: spelling it for every read was a sixth of a lookup.
    static func decode(_ bytes: UnsafeRawBufferPointer, hash: @autoclosure () -> String) throws -> AssetRecord {
        try reading(hash: hash()) { try AssetRecord.decoded(bytes) }
    }

    /// A record's bytes read by `read`, whose failure is the index's `corruptRecord` for `hash`.
    static func reading<T>(hash: @autoclosure () -> String, _ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch {
            throw IndexError.corruptRecord(hash: hash(), reason: String(describing: error))
        }
    }
}
