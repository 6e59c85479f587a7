import VaultCore

/// Where uploaded buckets keep their objects: the data directory (one machine) or the cluster's catalog and
/// blob store (a cluster node). Chosen once at start; each request's bucket gets its source from it.
enum UploadedObjects: Sendable {
    /// Version files beside the LMDB catalog; `cache` keyed by version id.
    case dataDirectory(ObjectStore, cache: HotFileCache<String>)
    /// Records in PostgreSQL, bytes in the blob store; `cache` keyed by blob digest.
    case cluster(ClusterObjectStore, cache: HotFileCache<String>)

    func source(_ bucket: String, maximumUploadBytes: Int) -> any StorageObjectSource {
        switch self {
        case let .dataDirectory(objects, cache):
            CatalogObjectSource(bucket: bucket, objects: objects, cache: cache, maximumUploadBytes: maximumUploadBytes)
        case let .cluster(objects, cache):
            ClusterObjectSource(bucket: bucket, objects: objects, cache: cache, maximumUploadBytes: maximumUploadBytes)
        }
    }

    /// The buckets' records.
    var buckets: any ObjectCatalog {
        switch self {
        case let .dataDirectory(objects, _): EmbeddedObjectCatalog(catalog: objects.catalog)
        case let .cluster(objects, _): objects.catalog
        }
    }
}
