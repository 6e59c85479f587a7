import Foundation
import Logging
import Synchronization
public import PostgresNIO
public import VaultCore

/// A node's side of a cluster on PostgreSQL and a blob store (Docs/CLUSTER.md): its local `AssetStore` is a
/// cache of the cluster's assets, filled from the blob store on demand, and every new generation and link
/// reaches the catalog before the local store.
///
/// Every failure of the catalog is `ClusterStoreError.catalogUnavailable`, every failure of the blob store
/// `.blobStoreUnavailable`: what a node answers is decided by those codes, not by the engines' own errors.
public final class ClusterNodeStore: ClusterStore {
    let local: AssetStore
    let catalog: PostgresAssetCatalog
    let blobs: any BlobStore
    /// Nil for a migration, which copies what exists and never generates.
    let flights: PostgresFlightLock?
    let logger: Logger
    let observer: ClusterStepObserver?
    let keyRates: PostgresKeyRates
    let relays: LiveRelayClient
    /// How this node tries for the evictor's role (nil: it never evicts for the cluster, as in a migration).
    let evictorRole: ClusterLeaseTaker?

    /// - Parameter relayCredential: `RelayCredential.derive(fromSigningSecret:)` of the secret every node shares.
    public init(
        local: AssetStore, catalog: PostgresAssetCatalog, blobs: any BlobStore, flights: PostgresFlightLock?, logger: Logger,
        relayCredential: String = "", evictorRole: ClusterLeaseTaker? = nil, observer: ClusterStepObserver? = nil
    ) {
        self.evictorRole = evictorRole
        relays = LiveRelayClient(credential: relayCredential)
        self.observer = observer
        keyRates = PostgresKeyRates(client: catalog.client, logger: logger)
        self.local = local
        self.catalog = catalog
        self.blobs = blobs
        self.flights = flights
        self.logger = logger
    }

    /// Bring-ins in progress, by hash: a burst of cold requests for one asset on one node fetches it once.
    private let bringing = Mutex<[SHA256Digest: Task<AssetRecord?, any Error>]>([:])

    public func bringIn(_ hash: SHA256Digest) async throws -> AssetRecord? {
        try await bringIn(hash, relayedOrNil: nil)
    }

    public func bringIn(_ hash: SHA256Digest, relayed: StagedAudio.Sealed) async throws -> AssetRecord? {
        try await bringIn(hash, relayedOrNil: relayed)
    }

    private func bringIn(_ hash: SHA256Digest, relayedOrNil relayed: StagedAudio.Sealed?) async throws -> AssetRecord? {
        let task = bringing.withLock { running in
            if let task = running[hash] { return task }
            let task = Task { try await self.fetchAndPublish(hash, relayed: relayed) }
            running[hash] = task
            return task
        }
        defer { bringing.withLock { running in if running[hash] == task { running[hash] = nil } } }
        return try await task.value
    }

    private func fetchAndPublish(_ hash: SHA256Digest, relayed: StagedAudio.Sealed?) async throws -> AssetRecord? {
        guard let (record, alignment) = try await fromCatalog({ try await self.catalog.recordWithAlignment(for: hash) }) else {
            return nil
        }
        let local = local
        if let held = try await BlockingIO.run({ try local.record(for: hash) }) {
            return try await linkLocally(held, books: record.bookIds, hash: hash)
        }
        guard let blob = SHA256Digest(hex: record.sha256), let first = record.bookIds.first,
            let firstBook = try? StorageIdentifier(first, kind: .bookId)
        else {
            throw IndexError.corruptRecord(hash: hash.hex, reason: "the catalog's record names no blob or no valid book")
        }
        let metadata = AssetMetadata(
            voiceId: record.voiceId, modelId: record.modelId, outputFormat: record.outputFormat, wordCount: record.wordCount,
            characterCount: record.characterCount, upstreamRequestId: record.upstreamRequestId,
            characterCost: record.characterCost, origin: record.origin, upstreamHistoryItemId: record.upstreamHistoryItemId)
        if let relayed, relayed.sha256 == blob, relayed.size == record.byteSize {
            // The relay heard the very bytes the catalog names: published from the staging area, not fetched.
            let published = try await BlockingIO.run {
                try local.publishStaged(
                    relayed, hash: hash, bookId: firstBook, metadata: metadata, alignment: alignment,
                    now: Date(timeIntervalSince1970: record.createdAt)
                ).record
            }
            return try await linkLocally(published, books: record.bookIds, hash: hash)
        }
        let bytes = try await fromBlobStore { () async throws(BlobStoreError) in try await self.blobs.read(blob, range: nil) }
        guard let bytes else {
            throw ClusterStoreError.blobStoreUnavailable("asset \(hash.hex) names blob \(blob.hex), which the blob store does not hold")
        }
        guard bytes.count == record.byteSize, SHA256Digest.of(bytes) == blob else {
            throw ClusterStoreError.blobStoreUnavailable("blob \(blob.hex) does not hold the bytes its record names")
        }
        let audio: InspectedMP3
        do throws(MP3Error) { audio = try InspectedMP3(bytes) } catch { throw StoreError.invalidAudio(error) }
        let published = try await BlockingIO.run {
            try local.publishTimed(
                audio, hash: hash, bookId: firstBook, metadata: metadata, alignment: alignment,
                now: Date(timeIntervalSince1970: record.createdAt)
            ).record
        }
        return try await linkLocally(published, books: record.bookIds, hash: hash)
    }

    /// The local record with every book of `books` linked (hard links, as for any book on one machine).
    private func linkLocally(_ held: AssetRecord, books: [String], hash: SHA256Digest) async throws -> AssetRecord {
        let missing = books.filter { !held.bookIds.contains($0) }.compactMap { try? StorageIdentifier($0, kind: .bookId) }
        guard !missing.isEmpty else { return held }
        let local = local
        return try await BlockingIO.run {
            var record = held
            for book in missing { record = try local.link(hash, to: book) }
            return record
        }
    }

    public func claimGeneration(of hash: SHA256Digest) async throws -> ClusterClaim {
        guard let flights else { throw ClusterStoreError.notYetOnClusterNodes("generating without a node address") }
        switch try await fromCatalog({ try await flights.claim(hash) }) {
        case let .won(flight): return .won(end: { await flight.end() })
        case let .heldElsewhere(nodeURL): return .heldElsewhere(nodeURL: nodeURL)
        }
    }

    public var nodeURL: String { flights?.address.url ?? "" }

    public func recordHeard(_ times: [SHA256Digest: Double]) async throws {
        try await fromCatalog { try await self.catalog.recordHeard(times) }
    }

    public func pin(_ bookId: StorageIdentifier, at time: Double) async throws -> Bool {
        try await fromCatalog { try await self.catalog.pin(bookId, at: time) }
    }

    public func unpin(_ bookId: StorageIdentifier) async throws -> Bool {
        try await fromCatalog { try await self.catalog.unpin(bookId) }
    }

    public func pinnedBooks() async throws -> [(bookId: String, pinnedAt: Double)] {
        try await fromCatalog { try await self.catalog.pinnedBooks() }
    }

    public func evictionCandidates() async throws -> [EvictionPlan.Candidate] {
        try await fromCatalog { try await self.catalog.evictionCandidates() }
    }

    public func evict(_ hash: SHA256Digest, plannedLastHeard: Double) async throws -> ClusterEviction {
        let eviction = try await fromCatalog { try await self.catalog.evict(hash, plannedLastHeard: plannedLastHeard) }
        if case let .evicted(record) = eviction {
            observer?(.recordRemoved)
            try await deleteBlobIfUnreferenced(record)
        }
        return eviction
    }

    public func hashes(matching filter: AssetFilter, after: SHA256Digest?, limit: Int) async throws -> [SHA256Digest] {
        try await fromCatalog { try await self.catalog.hashes(matching: filter, after: after, limit: limit) }
    }

    public func takeEvictorRole() async throws -> (any ClusterLease)? {
        guard let evictorRole else { return nil }
        return try await fromCatalog { try await evictorRole() }.map { $0 as any ClusterLease }
    }

    public func relay(_ hash: SHA256Digest, from holder: String) -> AsyncThrowingStream<LiveGeneration.RelayStep, any Error> {
        relays.steps(of: hash, from: holder)
    }

    public func acceptsRelay(credential: String) -> Bool {
        !relays.credential.isEmpty && HMACSHA256.constantTimeEquals(Array(credential.utf8), Array(relays.credential.utf8))
    }

    public func share(_ record: AssetRecord, alignment: SpeechAlignment?, audioPath: String) async throws {
        guard let blob = SHA256Digest(hex: record.sha256) else {
            throw IndexError.corruptRecord(hash: record.contentHash, reason: "sha256 is not a digest")
        }
        let bytes = try await BlockingIO.run { try FileSystem.readFile(audioPath) }
        try await fromBlobStore { () async throws(BlobStoreError) in try await self.blobs.put(bytes, sha256: blob) }
        observer?(.blobStored)
        let blobs = blobs
        _ = try await fromCatalog {
            try await self.catalog.publish(record, alignment: alignment) {
                // Under the blob's lock: a removal of another record with these bytes may have taken it since.
                if try await self.fromBlobStore({ () async throws(BlobStoreError) in try await blobs.size(of: blob) }) != bytes.count {
                    try await self.fromBlobStore { () async throws(BlobStoreError) in try await blobs.put(bytes, sha256: blob) }
                }
            }
        }
        observer?(.recordCommitted)
    }

    public func remove(_ hash: SHA256Digest) async throws -> AssetRecord? {
        guard let record = try await fromCatalog({ try await self.catalog.remove(hash) }) else { return nil }
        observer?(.recordRemoved)
        try await deleteBlobIfUnreferenced(record)
        return record
    }

    public func unlink(_ hash: SHA256Digest, from bookId: StorageIdentifier) async throws -> AssetUnlinking? {
        guard let unlinking = try await fromCatalog({ try await self.catalog.unlink(hash, from: bookId) }) else { return nil }
        if unlinking.recordRemoved {
            observer?(.recordRemoved)
            try await deleteBlobIfUnreferenced(unlinking.before)
        }
        return unlinking
    }

    public func hashes(forBook bookId: StorageIdentifier) async throws -> [SHA256Digest] {
        try await fromCatalog { try await self.catalog.hashes(forBook: bookId) }
    }

    public func catalogRecord(for hash: SHA256Digest) async throws -> AssetRecord? {
        try await fromCatalog { try await self.catalog.record(for: hash) }
    }

    public func describe(_ hash: SHA256Digest, in bookId: StorageIdentifier, as details: BookLink) async throws -> Bool {
        try await fromCatalog { try await self.catalog.describe(hash, in: bookId, as: details) }
    }

    public func bookEntries(_ bookId: StorageIdentifier) async throws -> [BookEntry] {
        try await fromCatalog { try await self.catalog.bookEntries(bookId) }
    }

    public func aliasTarget(_ legacyKey: SHA256Digest) async throws -> SHA256Digest? {
        try await fromCatalog { try await self.catalog.aliasTarget(legacyKey) }
    }

    public func bookSummaries(after: String?, limit: Int) async throws -> [AssetIndex.BookSummary] {
        try await fromCatalog { try await self.catalog.bookSummaries(after: after, limit: limit) }
    }

    public func books(after: String?, limit: Int) async throws -> [String] {
        try await fromCatalog { try await self.catalog.books(after: after, limit: limit) }
    }

    /// The second half of a removal, after the record's: the blob, unless another record names the same bytes.
    /// A crash in between leaves a blob without a record, which fsck finds; never a record without its blob.
    private func deleteBlobIfUnreferenced(_ record: AssetRecord) async throws {
        guard let blob = SHA256Digest(hex: record.sha256) else { return }
        let blobs = blobs
        if try await fromCatalog({
            try await self.catalog.deleteBlobIfUnreferenced(blob) {
                try await self.fromBlobStore { () async throws(BlobStoreError) in try await blobs.delete(blob) }
            }
        }) {
            observer?(.blobDeleted)
        }
    }

    public func link(_ hash: SHA256Digest, to bookId: StorageIdentifier) async throws {
        guard try await fromCatalog({ try await self.catalog.link(hash, to: bookId) }) != nil else {
            // Removed from the cluster, and this node not told yet: its copy goes now, so the request's retry
            // finds nothing here either and generates.
            let local = local
            _ = try await BlockingIO.run { try local.remove(hash) }
            throw StoreError.notFound(hash: hash.hex)
        }
    }

    public func takeRequest(keyId: String, perMinute: Int) async throws -> Int? {
        try await fromCatalog {
            try await self.keyRates.take(keyId: keyId, perMinute: perMinute)
        }
    }

    public func totals() async throws -> ClusterTotals {
        try await fromCatalog { try await self.catalog.totals() }
    }

    /// A blob that is never stored: asking for its size is one cheap round trip that fails when the store does.
    static let probe = SHA256Digest.of("voicevault: blob store probe")

    public func checkWritable() async throws {
        _ = try await fromBlobStore { () async throws(BlobStoreError) in try await self.blobs.size(of: Self.probe) }
    }

    /// How long a call to the catalog may take before the node answers `catalogUnavailable` (`CatalogCall`).
    public static let catalogDeadline = CatalogCall.deadline

    /// Runs a catalog call within `catalogDeadline`, keeping our own errors and naming every other one
    /// `catalogUnavailable`.
    func fromCatalog<T: Sendable>(_ call: @escaping @Sendable () async throws -> T) async throws -> T {
        try await CatalogCall.run(
            logger: logger, keeping: { $0 is StoreError || $0 is IndexError || $0 is SpeechAlignmentCodec.Failure }, call)
    }

    func fromBlobStore<T: Sendable>(_ call: @Sendable () async throws(BlobStoreError) -> T) async throws -> T {
        do { return try await call() } catch {
            logger.warning("blob store call failed", metadata: ["error": "\(error)"])
            throw ClusterStoreError.blobStoreUnavailable(error.description)
        }
    }
}
