import Foundation

/// The generated voice assets, seen through the Storage API as the bucket `audio` with keys
/// `<bookId>/<hash>.mp3`: the very files `/audio/<bookId>/<hash>.mp3` serves, not copies.
///
/// Nothing about these objects is stored twice: each view is computed from the asset index on demand, so the
/// bucket can never disagree with `POST /api/voice` or `/audio`. Only the bucket row itself lives in the
/// catalog (created at start, so it has a stable creation time and shows in `list_buckets`).
///
/// What the bucket allows follows from content addressing: bytes under a hash never change, so uploads and
/// updates are refused (audio enters through `POST /api/voice`); removing a key removes that book's reference
/// exactly as deleting the book's asset through the admin surface does; copy and move are allowed between
/// books for the same hash (a hard link, never new bytes). Methods block on disk I/O.
public struct VoiceAssetBucket: Sendable {
    public static let name = "audio"
    /// What every asset answers with: it is immutable, like `/audio/...`.
    public static let cacheControl = "public, max-age=31536000, immutable"

    public let store: AssetStore

    public init(store: AssetStore) {
        self.store = store
    }

    /// The bucket row: public (as `/audio` is), MP3 only, no size limit of its own.
    public static func bucketRecord(now: Double) -> BucketRecord {
        BucketRecord(
            id: name, name: name, isPublic: true, fileSizeLimit: nil, allowedMimeTypes: ["audio/mpeg"],
            createdAt: now, updatedAt: now)
    }

    /// `<bookId>/<64 lowercase hex>.mp3` split into its parts, or nil for any other key.
    public static func parseKey(_ key: String) -> (book: StorageIdentifier, hash: SHA256Digest)? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].hasSuffix(".mp3") else { return nil }
        let hex = parts[1].dropLast(4)
        guard hex.count == 64, hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
            let hash = SHA256Digest(hex: String(hex)),
            let book = try? StorageIdentifier(String(parts[0]), kind: .bookId)
        else { return nil }
        return (book, hash)
    }

    public static func key(book: String, hash: String) -> String { "\(book)/\(hash).mp3" }

    /// A stable UUID-shaped object id from the content hash: the same asset has the same id in every book,
    /// as clients that key caches by id expect of one object.
    public static func objectId(hash: String) -> String {
        let hex = Array(hash.prefix(32))
        guard hex.count == 32 else { return hash }
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
    }

    /// The object view of one asset as referenced by one book.
    public static func object(_ record: AssetRecord, book: String) -> ObjectRecord {
        let metadata: [String: Any] = [
            "voiceId": record.voiceId, "modelId": record.modelId, "outputFormat": record.outputFormat,
            "durationSeconds": record.durationSeconds, "characterCount": record.characterCount,
            "wordCount": record.wordCount,
        ]
        let metadataText = (try? JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) }
        return ObjectRecord(
            id: objectId(hash: record.contentHash), bucket: name, key: key(book: book, hash: record.contentHash),
            version: record.contentHash, size: record.byteSize, mimeType: "audio/mpeg", cacheControl: cacheControl,
            sha256: record.sha256, userMetadata: metadataText, createdAt: record.createdAt,
            updatedAt: record.createdAt, lastAccessedAt: record.createdAt)
    }

    /// The file that holds `object`'s bytes (its book's hard link).
    public func path(of object: ObjectRecord) -> String? {
        guard let (book, hash) = Self.parseKey(object.key) else { return nil }
        // Keys name MP3 files only, for now: the other formats are not served through the bucket yet.
        return store.directory.audioFile(book: book, hash: hash, fileExtension: "mp3")
    }

    /// The object under `key` if that book references that asset.
    public func object(key: String) throws -> ObjectRecord? {
        guard let (book, hash) = Self.parseKey(key), let record = try store.record(for: hash),
            record.bookIds.contains(book.value)
        else { return nil }
        return Self.object(record, book: book.value)
    }

    /// What a listing of `folder` (`""` or `<bookId>/`) needs: the books as folder names at the root, a book's
    /// assets inside it, nothing deeper (keys have exactly two segments).
    public func listingContents(folder: String) throws -> (folders: [String], objects: [ObjectRecord]) {
        if folder.isEmpty { return (try store.index.bookIds(), []) }
        let name = String(folder.dropLast())
        guard folder.hasSuffix("/"), !name.contains("/"), let book = try? StorageIdentifier(name, kind: .bookId) else {
            return ([], [])
        }
        var objects: [ObjectRecord] = []
        for hash in try store.index.hashes(forBook: book) {
            if let record = try store.record(for: hash), record.bookIds.contains(book.value) {
                objects.append(Self.object(record, book: book.value))
            }
        }
        return ([], objects)
    }

    /// Removes each existing key's book reference; returns the objects as they were. Other keys are skipped,
    /// as Supabase skips missing keys.
    public func remove(keys: [String]) throws -> [ObjectRecord] {
        var removed: [ObjectRecord] = []
        for key in keys {
            // The record as it was, for the answer; the unlink decides whether this call removed the reference.
            guard let (book, hash) = Self.parseKey(key), let record = try store.record(for: hash),
                try store.unlink(hash, from: book) != nil
            else { continue }
            removed.append(Self.object(record, book: book.value))
        }
        return removed
    }

    /// Removes every book's references, so the bucket is empty; returns how many book references went.
    public func empty() throws -> Int {
        var removed = 0
        var after: String?
        while true {
            // Pages continue after the last book seen, so a book that cannot be removed (an invalid id in a
            // damaged index, left for fsck) is passed over instead of being met again forever.
            let books = try store.index.bookIds(after: after, limit: 256)
            guard let last = books.last else { return removed }
            for book in books {
                guard let id = try? StorageIdentifier(book, kind: .bookId) else { continue }
                removed += try store.removeBook(id)?.links ?? 0
            }
            after = last
        }
    }

    public enum Refusal: Error, Equatable, Sendable {
        /// Copy and move keep the hash: `<a>/<h>.mp3` can only become `<b>/<h>.mp3`.
        case differentContent(source: String, destination: String)
        case notAnAssetKey(String)
    }

    /// Makes `source`'s asset available at `destination` (another book, same hash) by hard link; with `move`,
    /// the source book's reference is removed afterwards.
    public func copy(from source: String, to destination: String, move: Bool) throws -> ObjectRecord {
        guard let (fromBook, hash) = Self.parseKey(source) else { throw Refusal.notAnAssetKey(source) }
        guard let (toBook, toHash) = Self.parseKey(destination) else { throw Refusal.notAnAssetKey(destination) }
        guard hash == toHash else { throw Refusal.differentContent(source: source, destination: destination) }
        guard let record = try store.record(for: hash), record.bookIds.contains(fromBook.value) else {
            throw StorageCatalogError.objectNotFound(bucket: Self.name, key: source)
        }
        guard !record.bookIds.contains(toBook.value) else {
            throw StorageCatalogError.objectExists(bucket: Self.name, key: destination)
        }
        let linked = try store.link(hash, to: toBook)
        if move { try store.unlink(hash, from: fromBook) }
        return Self.object(linked, book: toBook.value)
    }
}
