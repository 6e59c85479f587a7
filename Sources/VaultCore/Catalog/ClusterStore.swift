/// What a node of a cluster adds to its own store (Docs/CLUSTER.md, "A node's store is a cache of the
/// cluster"). The node keeps its data directory (LMDB index and files) as a bounded cache of the cluster's
/// assets, so every hit and download runs exactly as on one machine; this is how that cache meets the truth,
/// the shared catalog and blob store.
///
/// Invariants the node keeps through it:
/// - the local store is never ahead of the cluster: a generation is shared (blob stored and verified, then its
///   record) before it is published locally, and a book is linked in the catalog before it is linked locally;
/// - one generation per hash in the whole cluster: the node that wins `claimGeneration` generates; the others
///   wait for its record, and take over when its claim dies with it.
public protocol ClusterStore: Sendable {
    /// Brings the cluster's asset into the local store (its bytes fetched, checked against the record's size and
    /// SHA-256, and linked into every book the catalog links), and returns the local record; nil when the
    /// cluster has no such asset.
    func bringIn(_ hash: SHA256Digest) async throws -> AssetRecord?
    /// `bringIn`, taking the bytes from a finished relay (`relayed`, sealed in this node's staging area) when they
    /// are the catalog's blob, so a waiting node that heard the whole generation does not fetch it again.
    func bringIn(_ hash: SHA256Digest, relayed: StagedAudio.Sealed) async throws -> AssetRecord?
    /// How the other nodes reach this one (`VOICEVAULT_NODE_URL`).
    var nodeURL: String { get }
    /// Follows the live generation of `hash` on the node at `holder` (the claim's holder): its pieces, restarts
    /// and quiet times, finishing only when the holder's generation is whole and shared. Throws
    /// `ClusterRelayError`: `.notGeneratingThere` before anything came when the holder has no such generation.
    func relay(_ hash: SHA256Digest, from holder: String) -> AsyncThrowingStream<LiveGeneration.RelayStep, any Error>
    /// Whether `credential` (a relay request's bearer token) is the cluster's: only nodes follow generations.
    func acceptsRelay(credential: String) -> Bool
    /// Tries to take the one generation of `hash` in the cluster, never waiting for it.
    func claimGeneration(of hash: SHA256Digest) async throws -> ClusterClaim
    /// Shares a new generation with the cluster before it is published locally: its bytes (the sealed file at
    /// `audioPath`), verified, then its record.
    func share(_ record: AssetRecord, alignment: SpeechAlignment?, audioPath: String) async throws
    /// Links an asset the cluster has into another book, in the catalog.
    func link(_ hash: SHA256Digest, to bookId: StorageIdentifier) async throws
    /// Removes an asset from the cluster: its record first, then its blob once no record names it; every node
    /// drops its own copy when told. The catalog's record as it was; nil when the cluster had none.
    func remove(_ hash: SHA256Digest) async throws -> AssetRecord?
    /// Removes one book's link in the catalog (the record goes with its last book, its blob after it).
    func unlink(_ hash: SHA256Digest, from bookId: StorageIdentifier) async throws -> AssetUnlinking?
    /// The hashes a book links in the catalog, in hash order.
    func hashes(forBook bookId: StorageIdentifier) async throws -> [SHA256Digest]
    /// The catalog's record of an asset (no bytes fetched); nil when the cluster has none.
    func catalogRecord(for hash: SHA256Digest) async throws -> AssetRecord?
    /// Records what a book says about audio it links, in the catalog (`AssetCatalog.describe`).
    func describe(_ hash: SHA256Digest, in bookId: StorageIdentifier, as details: BookLink) async throws -> Bool
    /// Every asset a book links in the catalog, with what the book says about each (`AssetCatalog.bookEntries`).
    func bookEntries(_ bookId: StorageIdentifier) async throws -> [BookEntry]
    /// The content hash a legacy key names in the catalog (`LegacyAlias`); nil when it names none.
    func aliasTarget(_ legacyKey: SHA256Digest) async throws -> SHA256Digest?
    /// The books that link any asset in the catalog, in bytewise order after `after`, at most `limit`.
    func books(after: String?, limit: Int) async throws -> [String]
    /// `books(after:limit:)`, each with its asset count and bytes in the catalog, for the admin API.
    func bookSummaries(after: String?, limit: Int) async throws -> [AssetIndex.BookSummary]
    /// Takes one request from a client key's allowance of `perMinute`, shared by every node (a token bucket in
    /// the catalog, taken in one statement, so no node grants a token another already spent): nil when allowed,
    /// else whole seconds until the next token (at least 1).
    func takeRequest(keyId: String, perMinute: Int) async throws -> Int?
    /// What the whole cluster holds (each asset once), for `/metrics` beside the node's own figures.
    func totals() async throws -> ClusterTotals
    /// Writes heard times to the catalog (each asset keeps the latest), for the cluster's quota.
    func recordHeard(_ times: [SHA256Digest: Double]) async throws
    /// Pins a book in the catalog: audio it links is never evicted by the cluster's quota. True when it changed.
    func pin(_ bookId: StorageIdentifier, at time: Double) async throws -> Bool
    func unpin(_ bookId: StorageIdentifier) async throws -> Bool
    /// Every pinned book, in book order.
    func pinnedBooks() async throws -> [(bookId: String, pinnedAt: Double)]
    /// Every asset of the cluster as the quota sees it (size, last heard, pinned or not).
    func evictionCandidates() async throws -> [EvictionPlan.Candidate]
    /// Removes an asset for the quota, in one step with its guards: kept when a pinned book links it or it was
    /// heard after `plannedLastHeard`. Its blob goes once no record names it, as for any removal.
    func evict(_ hash: SHA256Digest, plannedLastHeard: Double) async throws -> ClusterEviction
    /// The hashes of assets `filter` matches, in hash order after `after`, at most `limit`.
    func hashes(matching filter: AssetFilter, after: SHA256Digest?, limit: Int) async throws -> [SHA256Digest]
    /// Tries to take the role of the cluster's one evictor.
    func takeEvictorRole() async throws -> (any ClusterLease)?
    /// Throws when the cluster could not store a generation right now (its catalog or blob store is down), so a
    /// miss is refused before anything is paid for.
    func checkWritable() async throws
}

/// What a cluster holds, from its catalog.
public struct ClusterTotals: Sendable, Equatable {
    public let assets: Int
    public let bytes: Int
    public let books: Int
    public init(assets: Int, bytes: Int, books: Int) {
        self.assets = assets
        self.bytes = bytes
        self.books = books
    }
}

/// The outcome of `ClusterStore.evict`.
public enum ClusterEviction: Sendable, Equatable {
    case evicted(AssetRecord)
    /// Pinned, or heard since it was planned.
    case kept
    case absent
}

/// The outcome of `ClusterStore.claimGeneration`.
public enum ClusterClaim: Sendable {
    /// This node generates; `end` releases the claim once the asset is shared (or the generation failed).
    case won(end: @Sendable () async -> Void)
    /// Another node generates: the address it recorded (nil until it has recorded one).
    case heldElsewhere(nodeURL: String?)
}

/// Why following another node's live generation stopped.
public enum ClusterRelayError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The holder has no generation of that hash (it ended, or the claim's record is stale): look again.
    case notGeneratingThere
    /// The holder refused this node's credential: the nodes were given different `VOICEVAULT_SIGNING_SECRET`s.
    case refused
    /// The holder's generation failed; its code and message.
    case holderFailed(code: String, message: String)
    /// The relay broke off (the holder died, the network failed, or nothing came within the quiet bound).
    case cut(String)

    public var description: String {
        switch self {
        case .notGeneratingThere: "the claim's holder is not generating that hash"
        case .refused: "the claim's holder refused this node's relay credential (VOICEVAULT_SIGNING_SECRET differs)"
        case let .holderFailed(code, message): "the generating node failed: \(code): \(message)"
        case let .cut(why): "the relay from the generating node broke off: \(why)"
        }
    }
}

/// Why the cluster could not do what a node asked, with a stable code: both mean "try again later".
public enum ClusterStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The shared catalog (PostgreSQL) could not be reached or failed.
    case catalogUnavailable(String)
    /// The blob store could not be reached, refused, or held other bytes than the record names.
    case blobStoreUnavailable(String)
    /// What the node was asked is not done across a cluster yet (it would act on this node's copies alone).
    case notYetOnClusterNodes(String)

    public var code: String {
        switch self {
        case .catalogUnavailable: "catalog_unavailable"
        case .blobStoreUnavailable: "blob_store_unavailable"
        case .notYetOnClusterNodes: "not_yet_on_cluster_nodes"
        }
    }

    public var description: String {
        switch self {
        case let .catalogUnavailable(why): "the cluster's catalog is unavailable: \(why)"
        case let .blobStoreUnavailable(why): "the cluster's blob store is unavailable: \(why)"
        case let .notYetOnClusterNodes(what): "\(what) is not done by cluster nodes yet"
        }
    }
}
