import Logging
import PostgresNIO
import VaultCluster
import VaultCore
import VaultTestSupport

/// What the cluster's upload tests stand on: a migrated catalog, a blob directory, a node's data directory and
/// a `ClusterObjectStore` over them with the bucket `b`.
func withClusterObjects(
    _ label: String, logger: Logger,
    _ body: (PostgresClient, ClusterObjectStore, DirectoryBlobStore, DataDirectory) async throws -> Void
) async throws {
    let directory = TemporaryDirectory(label)
    let data = DataDirectory(root: directory.sub("data"))
    try data.prepare()
    try await withCatalog { client, _ in
        _ = try await CatalogMigrator.migrate(client, logger: logger)
        let blobs = DirectoryBlobStore(root: directory.sub("blobs"))
        let objects = ClusterObjectStore(
            catalog: PostgresObjectCatalog(client: client, logger: logger), blobs: blobs,
            copies: try LocalBlobCopies(directory: data.objectCopies, limit: 1 << 20))
        try await objects.catalog.createBucket(
            BucketRecord(id: "b", name: "b", isPublic: false, fileSizeLimit: nil, allowedMimeTypes: nil, createdAt: 0, updatedAt: 0))
        try await body(client, objects, blobs, data)
    }
    withExtendedLifetime(directory) {}
}
