import Foundation
import Hummingbird
import VaultCore

/// An error in Supabase Storage's shape: `{"statusCode":"404","error":"not_found","message":"Object not found"}`,
/// with `statusCode` a string, as the official clients parse it. The HTTP status is the same number (the
/// upstream sends 400 for most errors for legacy reasons; clients accept any 4xx, and a true status is more
/// useful to caches and people).
///
/// `code` is the S3-style code storage-js 2.112 exposes as `error.code` (`NoSuchKey`, `NoSuchBucket`,
/// `KeyAlreadyExists`...), which apps branch on; it is derived from `error` unless given.
struct SupabaseError: Error, Sendable, Equatable {
    let status: HTTPResponse.Status
    let error: String
    let message: String
    let code: String

    init(_ status: HTTPResponse.Status, _ error: String, _ message: String, code: String? = nil) {
        self.status = status
        self.error = error
        self.message = message
        self.code = code ?? Self.code(forError: error, status: status)
    }

    func response() -> Response {
        JSONResponse.make(status, object: ["statusCode": String(status.code), "code": code, "error": error, "message": message])
    }

    /// storage-js's code for an `error` value this server sends.
    static func code(forError error: String, status: HTTPResponse.Status) -> String {
        switch error {
        case "not_found": "NoSuchKey"
        case "Bucket not found": "NoSuchBucket"
        case "Duplicate": "KeyAlreadyExists"
        case "InvalidKey": "InvalidKey"
        case "invalid_mime_type": "InvalidMimeType"
        case "Payload too large": "EntityTooLarge"
        case "InvalidJWT": "InvalidJWT"
        case "ExpiredToken": "ExpiredToken"
        case "Unauthorized": "AccessDenied"
        case "InsufficientStorage": "InsufficientStorage"
        case "internal": "InternalError"
        default: status.code >= 500 ? "InternalError" : "InvalidRequest"
        }
    }

    static let objectNotFound = SupabaseError(.notFound, "not_found", "Object not found")
    static let bucketNotFound = SupabaseError(.notFound, "Bucket not found", "Bucket not found")
    static let duplicate = SupabaseError(.conflict, "Duplicate", "The resource already exists")
    static let unauthorized = SupabaseError(
        .forbidden, "Unauthorized", "a key from VOICEVAULT_API_KEYS is required (apikey or Authorization: Bearer)")

    static func invalidRequest(_ message: String) -> SupabaseError { .init(.badRequest, "InvalidRequest", message) }

    /// The `audio` bucket is the voice assets themselves: written only by `POST /api/voice`, settings fixed.
    static func audioBucketIsGenerated(_ what: String) -> SupabaseError {
        invalidRequest("the audio bucket holds the generated voice assets (written by POST /api/voice, keys <bookId>/<hash>.mp3): \(what)")
    }

    /// The Supabase rendering of failures: `ClassifiedError` in Supabase's error shape, with its spellings.
    static func from(_ error: any Error) -> SupabaseError? {
        if let error = error as? SupabaseError { return error }
        return ClassifiedError.classify(error).map { SupabaseError($0.status, $0.supabaseError, $0.message, code: $0.storageCode) }
    }
}
