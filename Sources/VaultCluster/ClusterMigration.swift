import Foundation
public import Logging
public import VaultCore

/// `voicevault migrate`: an embedded store's assets into a cluster, or a cluster's into a data directory
/// (Docs/OPERATIONS.md, "Moving in and out"). Each asset is copied the way a node shares or brings in a
/// generation, in the same crash order (bytes stored and verified before the record that names them), so a
/// migration may be stopped anywhere and run again: what is already there is recognised and skipped, what is
/// half there is finished. Afterwards every asset answers identically: the same record (its creation time
/// included), the same bytes, the same timings, in the same books.
public struct ClusterMigration: Sendable {
    /// What one run did.
    public struct Summary: Codable, Sendable, Equatable {
        public var assets = 0
        /// Copied by this run.
        public var copied = 0
        /// Already there, with every book (a run before this one copied them).
        public var alreadyThere = 0
        /// Already there, and linked into books they lacked.
        public var linked = 0
        public var bytesCopied = 0
        /// Book links whose chapter details (`BookLink`) this run recorded on the other side.
        public var bookLinksDescribed = 0
        /// Legacy aliases (`LegacyAlias`), and those this run added on the other side.
        public var aliases = 0
        public var aliasesCopied = 0
        /// The usage ledger's rows (generations, failures, hit rows, admin actions), and whether an earlier run
        /// had carried them already (then none was added).
        public var ledgerRows = 0
        public var ledgerAlreadyCarried = false
        /// Supabase Storage's buckets and objects (the generated `audio` bucket is the assets above).
        public var buckets = 0
        public var objects = 0
        public var objectsCopied = 0
        public var objectsAlreadyThere = 0
        /// Keys the other side holds with other bytes: left as they are there, never overwritten.
        public var objectsConflicting = 0
        public init() {}
    }

    /// Records compared with the other side per query.
    static let page = 500

    let local: AssetStore
    let catalog: PostgresAssetCatalog
    /// Storage's side: the data directory's objects and the cluster's, with the blob store they share.
    let objects: ObjectStore?
    let objectCatalog: PostgresObjectCatalog?
    let blobs: any BlobStore
    /// Copies each asset as a node shares or brings one in (never generating: it claims no flights).
    let node: ClusterNodeStore

    public init(
        local: AssetStore, catalog: PostgresAssetCatalog, blobs: any BlobStore, logger: Logger, objects: ObjectStore? = nil,
        objectCatalog: PostgresObjectCatalog? = nil
    ) {
        self.local = local
        self.catalog = catalog
        self.objects = objects
        self.objectCatalog = objectCatalog
        self.blobs = blobs
        node = ClusterNodeStore(local: local, catalog: catalog, blobs: blobs, flights: nil, logger: logger)
    }

    /// Every asset of the data directory into the cluster: blob, then record with its timings and books.
    public func intoCluster(progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Summary {
        let local = local
        // The hashes only (32 bytes each), and each page's records read when its turn comes.
        let hashes = try await BlockingIO.run {
            var all: [SHA256Digest] = []
            try local.index.forEachRecord { record in
                if let hash = SHA256Digest(hex: record.contentHash) { all.append(hash) }
            }
            return all
        }
        var summary = Summary()
        summary.assets = hashes.count
        var start = 0
        while start < hashes.count {
            let pageHashes = Array(hashes[start..<min(start + Self.page, hashes.count)])
            let page = try await BlockingIO.run { try pageHashes.compactMap { try local.index.record(for: $0) } }
            let known = try await catalog.books(of: pageHashes)
            for record in page {
                guard let hash = SHA256Digest(hex: record.contentHash) else { continue }
                if let books = known[hash] {
                    let missing = record.bookIds.filter { !books.contains($0) }
                    for book in missing {
                        if let id = try? StorageIdentifier(book, kind: .bookId) { _ = try await catalog.link(hash, to: id) }
                    }
                    if missing.isEmpty { summary.alreadyThere += 1 } else { summary.linked += 1 }
                    continue
                }
                let file = try await BlockingIO.run { () -> String in
                    for book in record.bookIds {
                        guard let id = try? StorageIdentifier(book, kind: .bookId) else { continue }
                        let path = local.directory.audioFile(book: id, hash: hash, format: record.outputFormat)
                        if FileManager.default.fileExists(atPath: path) { return path }
                    }
                    throw StoreError.missingFile(hash: hash.hex)
                }
                let alignment = try await BlockingIO.run { try local.index.alignment(for: hash) }
                try await node.share(record, alignment: alignment, audioPath: file)
                summary.copied += 1
                summary.bytesCopied += record.byteSize
            }
            start += pageHashes.count
            progress(start, hashes.count)
        }
        return summary
    }

    /// Every asset of the cluster into the data directory: blob fetched and verified, then the record with the
    /// catalog's creation time, timings and books.
    public func outOfCluster(progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Summary {
        let references = try await catalog.blobReferences()
        var summary = Summary()
        summary.assets = references.count
        let local = local
        var start = 0
        while start < references.count {
            let page = Array(references[start..<min(start + Self.page, references.count)])
            let known = try await catalog.books(of: page.map(\.hash))
            for reference in page {
                let held = try await BlockingIO.run { try local.index.record(for: reference.hash) }
                if let held, Set(known[reference.hash] ?? []).isSubset(of: held.bookIds) {
                    summary.alreadyThere += 1
                    continue
                }
                _ = try await node.bringIn(reference.hash)
                if held == nil {
                    summary.copied += 1
                    summary.bytesCopied += reference.byteSize
                } else {
                    summary.linked += 1
                }
            }
            start += page.count
            progress(start, references.count)
        }
        return summary
    }
}
