import Foundation

/// A bucket as the catalog keeps it. Times are Unix seconds with fractions.
public struct BucketRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var owner: String
    public var isPublic: Bool
    public var fileSizeLimit: Int?
    public var allowedMimeTypes: [String]?
    public var createdAt: Double
    public var updatedAt: Double

    public init(
        id: String, name: String, owner: String = "", isPublic: Bool, fileSizeLimit: Int?, allowedMimeTypes: [String]?,
        createdAt: Double, updatedAt: Double
    ) {
        self.id = id
        self.name = name
        self.owner = owner
        self.isPublic = isPublic
        self.fileSizeLimit = fileSizeLimit
        self.allowedMimeTypes = allowedMimeTypes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An uploaded object as the catalog keeps it. The bytes live in `<data>/objects/<version>`: a new version
/// id per write, so an overwrite never changes bytes a response or a cache is still reading.
public struct ObjectRecord: Codable, Sendable, Equatable {
    /// Stable across overwrites of the same key (Supabase's object id).
    public var id: String
    public var bucket: String
    public var key: String
    /// Names the file holding this version's bytes.
    public var version: String
    public var size: Int
    public var mimeType: String
    /// Stored as `max-age=<n>` when the client sent a bare number, else verbatim.
    public var cacheControl: String
    /// sha256 of the bytes, hex; quoted, it is the ETag.
    public var sha256: String
    /// The client's `metadata` field, a JSON object rendered as text (kept exactly as sent).
    public var userMetadata: String?
    public var createdAt: Double
    public var updatedAt: Double
    public var lastAccessedAt: Double

    public init(
        id: String, bucket: String, key: String, version: String, size: Int, mimeType: String, cacheControl: String,
        sha256: String, userMetadata: String?, createdAt: Double, updatedAt: Double, lastAccessedAt: Double
    ) {
        self.id = id
        self.bucket = bucket
        self.key = key
        self.version = version
        self.size = size
        self.mimeType = mimeType
        self.cacheControl = cacheControl
        self.sha256 = sha256
        self.userMetadata = userMetadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastAccessedAt = lastAccessedAt
    }
}

public enum StorageCatalogError: Error, Equatable, Sendable {
    case bucketNotFound(String)
    case bucketExists(String)
    case bucketNotEmpty(String)
    case objectNotFound(bucket: String, key: String)
    case objectExists(bucket: String, key: String)
    case undecodableRecord(String)
}
