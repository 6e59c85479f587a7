/// One TUS upload in progress, as its manifest on disk records it (`<data>/uploads/<id>.json`); its bytes so
/// far are `<data>/uploads/<id>.part`.
///
/// `offset` counts only bytes that were fsynced before the manifest saying so was written: after any crash the
/// part file is cut back to it, so an offset a client was told is never more than what is on disk.
public struct ResumableUpload: Codable, Sendable, Equatable {
    /// 32 lowercase hex digits, generated here (never client input, so it can name files).
    public var id: String
    public var bucket: String
    public var key: String
    /// Nil until the client states it (`creation-defer-length`).
    public var length: Int?
    public var offset: Int
    public var mimeType: String
    public var cacheControl: String
    public var userMetadata: String?
    public var upsert: Bool
    /// The metadata header as the client sent it, echoed by `HEAD`.
    public var metadataHeader: String
    public var createdAt: Double
    public var expiresAt: Double
    /// Set once every byte is on disk, before the object is published under this version: a commit that a
    /// crash interrupted is finished with the same version, never published twice.
    public var commitVersion: String?

    public init(
        id: String, bucket: String, key: String, length: Int?, offset: Int = 0, mimeType: String, cacheControl: String,
        userMetadata: String?, upsert: Bool, metadataHeader: String, createdAt: Double, expiresAt: Double,
        commitVersion: String? = nil
    ) {
        self.id = id
        self.bucket = bucket
        self.key = key
        self.length = length
        self.offset = offset
        self.mimeType = mimeType
        self.cacheControl = cacheControl
        self.userMetadata = userMetadata
        self.upsert = upsert
        self.metadataHeader = metadataHeader
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.commitVersion = commitVersion
    }

    public var isComplete: Bool { length == offset }

    /// Whether `id` has the shape this server generates (checked before it names a file).
    public static func isValidId(_ id: some StringProtocol) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
