public import AsyncHTTPClient
public import Logging
public import PostgresNIO
public import VaultCore

/// Everything a `serve` process needs to be a cluster node, made from its `ClusterSettings`: the catalog's
/// pool, the blob store, the node's side of the cluster and the budgets' counters. `run` keeps the pool
/// working for as long as the node serves; `prepare` (with `run` going) brings the catalog's schema up to this
/// build and makes sure the blob store is there, before any request is taken.
public struct ClusterNode: Sendable {
    public let settings: ClusterSettings
    /// How the other nodes reach this one; `serve` settles it once it listens unless `VOICEVAULT_NODE_URL` did.
    public let address: NodeAddress
    public var nodeURL: String { address.url }
    public let client: PostgresClient
    public let blobs: any BlobStore
    public let store: ClusterNodeStore
    public let spendCounters: PostgresSpendCounters
    /// The cluster's jobs, run by the node holding `jobRunnerLease`.
    public let jobs: PostgresJobCatalog
    /// The cluster's usage ledger, which every node writes.
    public let usageHistory: PostgresUsageLedger
    /// Listeners' positions in books, shared by every node.
    public let positions: PostgresListeningPositions
    public let jobRunnerLease: ClusterLeaseTaker
    let logger: Logger

    /// - Parameter defaultNodeURL: this node's address when `VOICEVAULT_NODE_URL` does not say.
    /// - Parameter relayCredential: what the nodes present to each other's relay route (`RelayCredential`).
    public init(
        settings: ClusterSettings, local: AssetStore, defaultNodeURL: String, relayCredential: String, httpClient: HTTPClient,
        logger: Logger
    ) {
        self.settings = settings
        self.logger = logger
        address = NodeAddress(settings.nodeURL ?? defaultNodeURL)
        client = PostgresClient(configuration: settings.catalog.clientConfiguration, backgroundLogger: logger)
        blobs = settings.blobStore(httpClient: httpClient)
        let evictor = PostgresLease(catalog: settings.catalog, role: .evictor, logger: logger)
        store = ClusterNodeStore(
            local: local, catalog: PostgresAssetCatalog(client: client, logger: logger), blobs: blobs,
            flights: PostgresFlightLock(catalog: settings.catalog, address: address, logger: logger), logger: logger,
            relayCredential: relayCredential,
            evictorRole: { try await evictor.take() }
        )
        spendCounters = PostgresSpendCounters(client: client, logger: logger)
        jobs = PostgresJobCatalog(client: client, logger: logger)
        usageHistory = PostgresUsageLedger(client: client, logger: logger)
        positions = PostgresListeningPositions(client: client, logger: logger)
        let lease = PostgresLease(catalog: settings.catalog, role: .jobRunner, logger: logger)
        jobRunnerLease = { try await lease.take() }
    }

    /// Supabase Storage's objects on this node: records in the catalog, bytes in the blob store, and this
    /// node's copies of them in `copiesDirectory`, at most `copiesLimit` bytes.
    public func objectStore(copiesDirectory: String, copiesLimit: Int) throws -> ClusterObjectStore {
        ClusterObjectStore(
            catalog: NodeObjectCatalog(catalog: PostgresObjectCatalog(client: client, logger: logger), logger: logger), blobs: blobs,
            copies: try LocalBlobCopies(directory: copiesDirectory, limit: copiesLimit))
    }

    /// Supabase Storage's resumable uploads on this node: their state in the catalog, their bytes as part
    /// blobs, staged in `staging` as they arrive.
    public func resumableUploads(objects: ClusterObjectStore, staging: DataDirectory) -> ClusterResumableUploads {
        ClusterResumableUploads(
            catalog: PostgresResumableCatalog(client: client, logger: logger), objects: objects, blobs: blobs, staging: staging)
    }

    /// Supabase Storage's S3 multipart uploads on this node: their state in the catalog, their parts as blobs.
    public func multipartUploads(objects: ClusterObjectStore, staging: DataDirectory) -> ClusterMultipartUploads {
        ClusterMultipartUploads(
            catalog: PostgresMultipartCatalog(client: client, logger: logger), objects: objects, blobs: blobs, staging: staging)
    }

    /// Runs the catalog's pool until the task is cancelled.
    public func run() async {
        await client.run()
    }

    /// Follows the catalog's removals into the local store until the task is cancelled; start it once the
    /// catalog is prepared.
    public func follow() async {
        await CatalogFollower(catalogURL: settings.catalog, catalog: store.catalog, local: store.local, logger: logger).run()
    }

    /// Migrates the catalog (once, however many nodes start together) and creates the S3 bucket if missing.
    /// Returns the migrations this node applied.
    ///
    /// A node started together with its engines (a compose file, a reboot) finds them still starting: it tries
    /// again for up to `patience`, then gives up with the last error. A newer catalog is never waited for.
    public func prepare(patience: Duration = .seconds(30)) async throws -> [Int] {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                let applied = try await CatalogMigrator.migrate(client, logger: logger)
                if let s3 = blobs as? S3BlobStore { try await s3.ensureBucket() }
                try await store.checkWritable()
                return applied
            } catch let refusal as CatalogMigrator.Failure {
                throw refusal
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                logger.notice("waiting for the cluster's engines", metadata: ["reason": "\(error)"])
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// What the start-up log says about the cluster (no secrets).
    public var description: String {
        let blobs =
            switch settings.blobs {
            case let .s3(location, _, _): "s3://\(location.bucket)/\(location.prefix) at \(location.endpoint)"
            case let .directory(path): "file://\(path)"
            }
        return
            "catalog postgres://\(settings.catalog.host):\(settings.catalog.port)/\(settings.catalog.database) "
            + "(sslmode=\(settings.catalog.tls.mode.rawValue)), blobs \(blobs), node \(nodeURL)"
    }
}

extension ClusterSettings {
    /// The blob store these settings name.
    public func blobStore(httpClient: HTTPClient) -> any BlobStore {
        switch blobs {
        case let .s3(location, accessKeyID, secretAccessKey):
            S3BlobStore(location: location, accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, client: httpClient)
        case let .directory(path):
            DirectoryBlobStore(root: path)
        }
    }
}
