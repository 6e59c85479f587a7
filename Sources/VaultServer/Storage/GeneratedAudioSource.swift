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

    /// A read of mapped memory, where it is called.
    func object(key: String) async throws -> ObjectRecord? {
        try assets.object(key: key)
    }

    func prepare(_ record: ObjectRecord) async throws -> Bool { true }

    func bytes(of record: ObjectRecord) throws -> DownloadBytes? {
        guard let hash = SHA256Digest(hex: record.version) else { return nil }
        heard?.heard(hash, at: Date().timeIntervalSince1970)
        return try cache.bytes(for: hash, path: assets.path(of: record))
    }

    func file(of record: ObjectRecord) -> String? {
        assets.path(of: record)
    }

    func folderContents(_ folder: String) async throws -> (folders: [String], objects: [ObjectRecord]) {
        let assets = assets
        return try await BlockingIO.run { try assets.listingContents(folder: folder) }
    }

    /// Books are the folders: a page that stops at the book level lists book ids without reading their assets;
    /// one that reaches into books reads only the books the prefix can match.
    func keyPage(_ request: KeyPageRequest) async throws -> KeyPage {
        let assets = assets
        return try await BlockingIO.run {
            var folders: [String] = []
            var records: [ObjectRecord] = []
            for book in try assets.listingContents(folder: "").folders {
                let folder = book + "/"
                if folder.hasPrefix(request.prefix), request.delimited, folder != request.prefix {
                    folders.append(folder)
                } else if folder.hasPrefix(request.prefix) || request.prefix.hasPrefix(folder) {
                    records += try assets.listingContents(folder: folder).objects
                }
            }
            return KeyPageBuilder.page(request, of: records, folders: folders)
        }
    }

    func remove(keys: [String]) async throws -> [ObjectRecord] {
        let assets = assets
        return try await BlockingIO.run { try assets.remove(keys: keys) }
    }

    /// A key here is `<bookId>/<hash>.mp3`: it can only ever name those bytes, so there is nothing to compare.
    func remove(key: String, ifStill original: ObjectRecord) async throws -> Bool {
        try await !remove(keys: [key]).isEmpty
    }

    func empty() async throws {
        let assets = assets
        _ = try await BlockingIO.run { try assets.empty() }
    }

    /// `upsert` changes nothing: a destination key names the same hash, so it already holds these bytes.
    func copy(from source: String, to destination: String, move: Bool, upsert: Bool) async throws -> ObjectRecord {
        let assets = assets
        return try await BlockingIO.run { try assets.copy(from: source, to: destination, move: move) }
    }

    func put(_ upload: StagedUpload, key: String, upsert: Bool) async throws -> ObjectRecord {
        try permit(.upload)
        throw SupabaseError.audioBucketIsGenerated("objects cannot be uploaded")
    }

    func adopt(_ original: ObjectRecord, from source: any StorageObjectSource, key: String, upsert: Bool) async throws -> ObjectRecord {
        try permit(.upload)
        throw SupabaseError.audioBucketIsGenerated("objects cannot be uploaded")
    }
}
