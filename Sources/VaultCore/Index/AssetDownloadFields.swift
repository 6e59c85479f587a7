/// The part of an `AssetRecord` a download is decided on (`AssetRecordCodec.downloadFields`): read on every
/// download, so it is read without decoding the rest of the record.
public struct AssetDownloadFields: Sendable, Equatable {
    /// The file's length in bytes.
    public let byteSize: Int
    /// The file's checksum, its strong validator.
    public let sha256: SHA256Digest
    /// When the asset was stored, seconds since 1970.
    public let createdAt: Double
    /// Whether the book the download names references the asset.
    public let inBook: Bool

    public init(byteSize: Int, sha256: SHA256Digest, createdAt: Double, inBook: Bool) {
        self.byteSize = byteSize
        self.sha256 = sha256
        self.createdAt = createdAt
        self.inBook = inBook
    }
}
