import Foundation
import Hummingbird
import VaultCore

/// The JSON shapes the Storage clients validate, built from catalog records.
enum StorageJSON {
    static func response(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        JSONResponse.make(status, object: object)
    }

    static func time(_ seconds: Double) -> String { ISO8601Timestamp.format(secondsSince1970: seconds) }

    static func optional(_ value: Any?) -> Any { value ?? NSNull() }

    /// Every field storage3's `BaseBucket` model requires.
    static func bucket(_ record: BucketRecord) -> [String: Any] {
        [
            "id": record.id, "name": record.name, "owner": record.owner, "public": record.isPublic,
            "created_at": time(record.createdAt), "updated_at": time(record.updatedAt),
            "file_size_limit": optional(record.fileSizeLimit), "allowed_mime_types": optional(record.allowedMimeTypes),
            "type": "STANDARD",
        ]
    }

    /// Object metadata as Supabase reports it in listings (`metadata` of a file entry).
    static func fileMetadata(_ record: ObjectRecord) -> [String: Any] {
        [
            "eTag": "\"\(record.sha256)\"", "size": record.size, "mimetype": record.mimeType,
            "cacheControl": record.cacheControl, "lastModified": time(record.updatedAt),
            "contentLength": record.size, "httpStatusCode": 200,
        ]
    }

    static func userMetadata(_ record: ObjectRecord) -> Any {
        guard let text = record.userMetadata, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return NSNull() }
        return object
    }

    /// `GET object/info/...`.
    static func info(_ record: ObjectRecord) -> [String: Any] {
        [
            "id": record.id, "name": record.key, "version": record.version, "bucket_id": record.bucket,
            "size": record.size, "content_type": record.mimeType, "cache_control": record.cacheControl,
            "etag": "\"\(record.sha256)\"", "metadata": userMetadata(record),
            "last_modified": time(record.updatedAt), "created_at": time(record.createdAt),
        ]
    }

    /// A row of `remove`'s answer: the object as it was.
    static func removedRow(_ record: ObjectRecord) -> [String: Any] {
        [
            "id": record.id, "name": record.key, "bucket_id": record.bucket, "owner": "", "version": record.version,
            "created_at": time(record.createdAt), "updated_at": time(record.updatedAt),
            "last_accessed_at": time(record.lastAccessedAt), "metadata": fileMetadata(record),
            "user_metadata": userMetadata(record),
        ]
    }

    static func listEntry(_ entry: ObjectListing.Entry) -> [String: Any] {
        switch entry {
        case let .folder(name):
            return [
                "name": name, "id": NSNull(), "updated_at": NSNull(), "created_at": NSNull(),
                "last_accessed_at": NSNull(), "metadata": NSNull(),
            ]
        case let .file(name, record):
            return [
                "name": name, "id": record.id, "updated_at": time(record.updatedAt), "created_at": time(record.createdAt),
                "last_accessed_at": time(record.lastAccessedAt), "metadata": fileMetadata(record),
                "user_metadata": userMetadata(record),
            ]
        }
    }
}
