import Foundation
import VaultCore

/// The bucket `audio` on a cluster node: the cluster's generated assets under `<bookId>/<hash>.mp3`, read from
/// the shared catalog (so every node lists and answers the same), their bytes from this node's copy, brought in
/// from the cluster on first use as `/audio` does. Changes go through the voice service, as the admin surface's
/// do: removing a key removes that book's reference across the cluster, copy and move link the same hash into
/// another book. Uploads, replacements and settings are refused, as on one machine.
struct ClusterAudioBucket: StorageObjectSource {
    let voice: VoiceService
    let cluster: any ClusterStore
    /// This node's copies, served as one machine serves its audio (the `/audio` route's cache).
    let local: GeneratedAudioSource

    func permit(_ change: StorageChange) throws { try local.permit(change) }

    func object(key: String) async throws -> ObjectRecord? {
        guard let (book, hash) = VoiceAssetBucket.parseKey(key), let record = try await cluster.catalogRecord(for: hash),
            record.bookIds.contains(book.value)
        else { return nil }
        return VoiceAssetBucket.object(record, book: book.value)
    }

    func prepare(_ record: ObjectRecord) async throws -> Bool {
        guard let hash = SHA256Digest(hex: record.version) else { return false }
        return try await cluster.bringIn(hash) != nil
    }

    func bytes(of record: ObjectRecord) throws -> DownloadBytes? { try local.bytes(of: record) }

    /// Named the same blob as an uploaded object would be: another bucket adopts it without copying.
    func file(of record: ObjectRecord) -> String? { nil }

    func folderContents(_ folder: String) async throws -> (folders: [String], objects: [ObjectRecord]) {
        if folder.isEmpty { return (try await allBooks(), []) }
        let name = String(folder.dropLast())
        guard folder.hasSuffix("/"), !name.contains("/"), let book = try? StorageIdentifier(name, kind: .bookId) else { return ([], []) }
        return ([], try await objects(inBook: book))
    }

    /// Books are the folders, as on one machine: a page that stops at the book level reads no asset.
    func keyPage(_ request: KeyPageRequest) async throws -> KeyPage {
        var folders: [String] = []
        var records: [ObjectRecord] = []
        for book in try await allBooks() {
            let folder = book + "/"
            if folder.hasPrefix(request.prefix), request.delimited, folder != request.prefix {
                folders.append(folder)
            } else if folder.hasPrefix(request.prefix) || request.prefix.hasPrefix(folder),
                let id = try? StorageIdentifier(book, kind: .bookId)
            {
                records += try await objects(inBook: id)
            }
        }
        return KeyPageBuilder.page(request, of: records, folders: folders)
    }

    func remove(keys: [String]) async throws -> [ObjectRecord] {
        var removed: [ObjectRecord] = []
        for key in keys {
            guard let (book, hash) = VoiceAssetBucket.parseKey(key), let record = try await cluster.catalogRecord(for: hash),
                try await voice.removeReference(hash, from: book) != nil
            else { continue }
            removed.append(VoiceAssetBucket.object(record, book: book.value))
        }
        return removed
    }

    /// A key here can only ever name one hash's bytes, so there is nothing to compare.
    func remove(key: String, ifStill original: ObjectRecord) async throws -> Bool {
        try await !remove(keys: [key]).isEmpty
    }

    func empty() async throws {
        for book in try await allBooks() {
            guard let id = try? StorageIdentifier(book, kind: .bookId) else { continue }
            _ = try await voice.removeBook(id)
        }
    }

    /// Links the same hash into another book in the catalog (no bytes move); with `move`, the source book's
    /// reference goes afterwards. `upsert` changes nothing: the destination key can only name these bytes.
    func copy(from source: String, to destination: String, move: Bool, upsert: Bool) async throws -> ObjectRecord {
        guard let (fromBook, hash) = VoiceAssetBucket.parseKey(source) else { throw VoiceAssetBucket.Refusal.notAnAssetKey(source) }
        guard let (toBook, toHash) = VoiceAssetBucket.parseKey(destination) else {
            throw VoiceAssetBucket.Refusal.notAnAssetKey(destination)
        }
        guard hash == toHash else { throw VoiceAssetBucket.Refusal.differentContent(source: source, destination: destination) }
        guard let record = try await cluster.catalogRecord(for: hash), record.bookIds.contains(fromBook.value) else {
            throw StorageCatalogError.objectNotFound(bucket: VoiceAssetBucket.name, key: source)
        }
        guard !record.bookIds.contains(toBook.value) else {
            throw StorageCatalogError.objectExists(bucket: VoiceAssetBucket.name, key: destination)
        }
        try await cluster.link(hash, to: toBook)
        if move { _ = try await voice.removeReference(hash, from: fromBook) }
        return VoiceAssetBucket.object(record, book: toBook.value)
    }

    func put(_ upload: StagedUpload, key: String, upsert: Bool) async throws -> ObjectRecord {
        try await local.put(upload, key: key, upsert: upsert)
    }

    func adopt(_ original: ObjectRecord, from source: any StorageObjectSource, key: String, upsert: Bool) async throws -> ObjectRecord {
        try await local.adopt(original, from: source, key: key, upsert: upsert)
    }

    /// Every book of the cluster, a page at a time.
    func allBooks() async throws -> [String] {
        var books: [String] = []
        var after: String?
        while true {
            let page = try await cluster.books(after: after, limit: 1_000)
            books += page
            guard page.count == 1_000, let last = page.last else { return books }
            after = last
        }
    }

    func objects(inBook book: StorageIdentifier) async throws -> [ObjectRecord] {
        var objects: [ObjectRecord] = []
        for hash in try await cluster.hashes(forBook: book) {
            if let record = try await cluster.catalogRecord(for: hash), record.bookIds.contains(book.value) {
                objects.append(VoiceAssetBucket.object(record, book: book.value))
            }
        }
        return objects
    }
}
