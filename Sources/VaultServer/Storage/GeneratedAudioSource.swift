import Foundation
import VaultCore

/// The bucket `audio`: the generated MP3s under `<bookId>/<hash>.mp3`, read from the asset index
/// (`VoiceAssetBucket`), the same files `/audio/...` serves.
///
/// Audio enters only through `POST /api/voice`, and bytes under a hash never change, so uploads, replacements
/// and changes to the bucket itself are refused. Removal drops a book's reference; copy and move link the same
/// hash into another book.
struct GeneratedAudioSource: StorageObjectSource {
    let assets: VoiceAssetBucket
    /// The `/audio` route's cache, keyed by content hash: an MP3 fetched both ways is held once.
    let cache: HotFileCache<SHA256Digest>
    /// A download through the bucket is a hearing, as one through `/audio` is (asked only for a body).
    let heard: HeardLog?

    func permit(_ change: StorageChange) throws {
        switch change {
        case .settings: throw SupabaseError.audioBucketIsGenerated("its settings cannot change")
        case .deletion: throw SupabaseError.audioBucketIsGenerated("it cannot be deleted")
        case .upload: throw SupabaseError.audioBucketIsGenerated("objects cannot be uploaded")
        case .replacement: throw SupabaseError.audioBucketIsGenerated("objects cannot be replaced")
        }
    }

    func object(key: String) throws -> ObjectRecord? {
        try assets.object(key: key)
    }

    func bytes(of record: ObjectRecord) throws -> DownloadBytes? {
        guard let hash = SHA256Digest(hex: record.version) else { return nil }
        heard?.heard(hash, at: Date().timeIntervalSince1970)
        return try cache.bytes(for: hash, path: assets.path(of: record))
    }

    func file(of record: ObjectRecord) -> String? {
        assets.path(of: record)
    }

    func folderContents(_ folder: String) throws -> (folders: [String], objects: [ObjectRecord]) {
        try assets.listingContents(folder: folder)
    }

    func remove(keys: [String]) throws -> [ObjectRecord] {
        try assets.remove(keys: keys)
    }

    /// A key here is `<bookId>/<hash>.mp3`: it can only ever name those bytes, so there is nothing to compare.
    func remove(key: String, ifStill original: ObjectRecord) throws -> Bool {
        try !assets.remove(keys: [key]).isEmpty
    }

    func empty() throws {
        _ = try assets.empty()
    }

    func copy(from source: String, to destination: String, move: Bool) throws -> ObjectRecord {
        try assets.copy(from: source, to: destination, move: move)
    }
}
