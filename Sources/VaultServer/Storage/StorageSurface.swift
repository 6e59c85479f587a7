public import VaultCore

/// What the Supabase Storage surface is served from: the data directory's object store (staging of uploads
/// on this node; every object on one machine), the secret that signs its URLs, and on a cluster node the
/// cluster's objects.
public struct StorageSurface: Sendable {
    public let store: ObjectStore
    public let signingSecret: [UInt8]
    /// Set on a cluster node: uploaded buckets live in the cluster's catalog and blob store.
    public let cluster: ClusterObjectStore?
    /// Set on a cluster node: TUS uploads and S3 multipart uploads in progress live in the cluster too.
    public let clusterUploads: ClusterResumableUploads?
    public let clusterMultipart: ClusterMultipartUploads?

    public init(
        store: ObjectStore, signingSecret: [UInt8], cluster: ClusterObjectStore? = nil, clusterUploads: ClusterResumableUploads? = nil,
        clusterMultipart: ClusterMultipartUploads? = nil
    ) {
        self.store = store
        self.signingSecret = signingSecret
        self.cluster = cluster
        self.clusterUploads = clusterUploads
        self.clusterMultipart = clusterMultipart
    }
}
