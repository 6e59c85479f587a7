import Foundation
import Hummingbird
import VaultCore

/// An error in Supabase Storage's shape: `{"statusCode":"404","error":"not_found","message":"Object not found"}`,
/// with `statusCode` a string, as the official clients parse it. The HTTP status is the same number (the
/// upstream sends 400 for most errors for legacy reasons; clients accept any 4xx, and a true status is more
/// useful to caches and people).
struct SupabaseError: Error, Sendable, Equatable {
    let status: HTTPResponse.Status
    let error: String
    let message: String

    init(_ status: HTTPResponse.Status, _ error: String, _ message: String) {
        self.status = status
        self.error = error
        self.message = message
    }

    func response() -> Response {
        JSONResponse.make(status, object: ["statusCode": String(status.code), "error": error, "message": message])
    }

    static let objectNotFound = SupabaseError(.notFound, "not_found", "Object not found")
    static let bucketNotFound = SupabaseError(.notFound, "Bucket not found", "Bucket not found")
    static let duplicate = SupabaseError(.conflict, "Duplicate", "The resource already exists")
    static let unauthorized = SupabaseError(.forbidden, "Unauthorized", "a key from VOICEVAULT_API_KEYS is required (apikey or Authorization: Bearer)")

    static func invalidRequest(_ message: String) -> SupabaseError { .init(.badRequest, "InvalidRequest", message) }

    /// The `audio` bucket is the voice assets themselves: written only by `POST /api/voice`, settings fixed.
    static func audioBucketIsGenerated(_ what: String) -> SupabaseError {
        invalidRequest("the audio bucket holds the generated voice assets (written by POST /api/voice, keys <bookId>/<hash>.mp3): \(what)")
    }

    /// The Supabase rendering of errors from the core.
    static func from(_ error: any Error) -> SupabaseError? {
        switch error {
        case let error as SupabaseError: return error
        case let error as StorageCatalogError:
            switch error {
            case .bucketNotFound: return .bucketNotFound
            case .bucketExists, .objectExists: return .duplicate
            case .bucketNotEmpty: return .init(.conflict, "InvalidRequest", "The bucket you tried to delete is not empty")
            case .objectNotFound: return .objectNotFound
            case .undecodableRecord: return nil
            }
        case let error as ObjectStore.Failure:
            switch error {
            case let .tooLarge(limit): return .init(.contentTooLarge, "Payload too large", "The object exceeded the maximum allowed size of \(limit) bytes")
            case let .mimeTypeNotAllowed(type): return .init(.unsupportedMediaType, "invalid_mime_type", "mime type \(type) is not supported")
            }
        case let error as VoiceAssetBucket.Refusal:
            switch error {
            case let .differentContent(source, destination):
                return invalidRequest("in the audio bucket a copy keeps its content hash: \(source) cannot become \(destination)")
            case let .notAnAssetKey(key):
                return .init(.badRequest, "InvalidKey", "Invalid key: \(key) (audio bucket keys are <bookId>/<sha256 hex>.mp3)")
            }
        case let error where DiskSpace.isExhausted(error):
            // Supabase has no code of its own for this; 507 and S3's spelling say what happened.
            return .init(.init(code: 507, reasonPhrase: "Insufficient Storage"), "InsufficientStorage", "the server's disk is full; nothing was stored")
        case let error as StorageRoute.Failure:
            switch error.kind {
            case .notFound: return .init(.notFound, "not_found", error.message)
            case .badEncoding, .invalidBucket: return .init(.badRequest, "InvalidRequest", error.message)
            case .invalidKey: return .init(.badRequest, "InvalidKey", error.message)
            }
        default: return nil
        }
    }
}
