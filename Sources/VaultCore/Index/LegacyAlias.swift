/// A legacy key (the old app's key for a row, `LegacyContentHash`) and the content hash that row was imported
/// as. Lookups by content hash accept either, so keys the old app stored keep working after an import, on one
/// machine and, once `voicevault migrate` has carried them, on every node of a cluster.
///
/// An alias outlives its asset: once the asset is made again under the same hash, the alias finds it again.
public struct LegacyAlias: Sendable, Equatable, Hashable {
    public let legacyKey: SHA256Digest
    public let contentHash: SHA256Digest

    public init(legacyKey: SHA256Digest, contentHash: SHA256Digest) {
        self.legacyKey = legacyKey
        self.contentHash = contentHash
    }
}
