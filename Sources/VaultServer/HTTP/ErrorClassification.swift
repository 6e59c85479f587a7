import ElevenLabs
import HTTPTypes
import VaultCore

/// What a failure of the core or the upstream means to a client: its HTTP status, VoiceVault's stable code,
/// Supabase's spelling of the same (its `error` field), and a message for people. Classified once, here;
/// each surface only renders it in its own shape (`APIError` for VoiceVault, `SupabaseError` for Storage).
/// Nil: not a known failure, which every surface answers as a logged 500.
struct ClassifiedError: Equatable {
    let status: HTTPResponse.Status
    let code: String
    /// Supabase Storage's `error` value, where it has its own (`"Bucket not found"`, `"Duplicate"`...).
    let supabaseError: String
    /// The S3 spelling (`NoSuchKey`, `BucketAlreadyExists`...), which storage-js also reads as `code`, where
    /// it is not the one `SupabaseError` derives from `supabaseError`.
    let storageCode: String?
    let message: String

    init(_ status: HTTPResponse.Status, _ code: String, supabase: String? = nil, storage: String? = nil, _ message: String) {
        self.status = status
        self.code = code
        supabaseError = supabase ?? code
        storageCode = storage
        self.message = message
    }

    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

    static func classify(_ error: any Error) -> ClassifiedError? {
        switch error {
        case let error as VoiceError:
            switch error {
            case .budgetExhausted: return .init(.tooManyRequests, "budget_exhausted", error.description)
            case .clientBudgetExhausted: return .init(.tooManyRequests, "client_budget_exhausted", error.description)
            case .noSynthesizer:
                return .init(.serviceUnavailable, "synthesizer_unavailable", "no speech synthesizer is configured: set ELEVENLABS_API_KEY")
            case .unsupportedLanguage: return .init(.unprocessableContent, "unsupported_language", error.description)
            case .synthesizerFailed: return .init(.internalServerError, "synthesizer_failed", error.description)
            case .stitchedAssetNotFound: return .init(.badRequest, "unknown_request_id", error.description)
            case .stitchedAssetWithoutText: return .init(.unprocessableContent, "stitching_unavailable", error.description)
            }
        case let error as UpstreamFailure:
            return upstream(error)
        case let error as StoreError:
            switch error {
            case let .invalidAudio(reason):
                return .init(.badGateway, "upstream_invalid_audio", "the generated audio is not a complete MP3: \(reason)")
            case let .invalidFormat(reason):
                return .init(.badGateway, "upstream_invalid_audio", "the generated audio is not whole: \(reason)")
            case .missingFile, .notFound, .invalidAlignment:
                return nil
            }
        case let error as StorageCatalogError:
            switch error {
            case .bucketNotFound: return .init(.notFound, "bucket_not_found", supabase: "Bucket not found", "Bucket not found")
            case .bucketExists:
                return .init(.conflict, "duplicate", supabase: "Duplicate", storage: "BucketAlreadyExists", "The resource already exists")
            case .objectExists:
                return .init(.conflict, "duplicate", supabase: "Duplicate", storage: "KeyAlreadyExists", "The resource already exists")
            case .bucketNotEmpty:
                return .init(
                    .conflict, "bucket_not_empty", supabase: "InvalidRequest", storage: "ResourceNotEmpty",
                    "The bucket you tried to delete is not empty")
            case .objectNotFound: return .init(.notFound, "not_found", "Object not found")
            case .undecodableRecord: return nil
            }
        case let error as ObjectStore.Failure:
            switch error {
            case let .tooLarge(limit):
                return .init(
                    .contentTooLarge, "payload_too_large", supabase: "Payload too large",
                    "The object exceeded the maximum allowed size of \(limit) bytes")
            case let .mimeTypeNotAllowed(type):
                return .init(.unsupportedMediaType, "invalid_mime_type", "mime type \(type) is not supported")
            }
        case let error as VoiceAssetBucket.Refusal:
            switch error {
            case let .differentContent(source, destination):
                return .init(
                    .badRequest, "invalid_request", supabase: "InvalidRequest",
                    "in the audio bucket a copy keeps its content hash: \(source) cannot become \(destination)")
            case let .notAnAssetKey(key):
                return .init(
                    .badRequest, "invalid_key", supabase: "InvalidKey",
                    "Invalid key: \(key) (audio bucket keys are <bookId>/<sha256 hex>.mp3)")
            }
        case let error as StorageRoute.Failure:
            switch error.kind {
            case .notFound: return .init(.notFound, "not_found", error.message)
            case .badEncoding, .invalidBucket: return .init(.badRequest, "invalid_request", supabase: "InvalidRequest", error.message)
            case .invalidKey: return .init(.badRequest, "invalid_key", supabase: "InvalidKey", error.message)
            }
        case let error as ClusterStoreError:
            if case .notYetOnClusterNodes = error { return .init(.notImplemented, error.code, error.description) }
            // A cluster node whose catalog or blob store is down: nothing was recorded; try again shortly.
            return .init(.serviceUnavailable, error.code, error.description)
        case let error as BlobStoreError:
            // A cluster node's blob store refused or failed a Storage object's bytes: nothing was recorded.
            return .init(.serviceUnavailable, error.code, "the cluster's blob store is unavailable: \(error.description)")
        case let error as ClusterObjectStoreError:
            return .init(
                .serviceUnavailable, "blob_store_unavailable", "the cluster's blob store lost bytes a record was to name: \(error)")
        case let error as ClusterRelayError:
            // Listeners here heard part of another node's generation, and that node stopped: as when the
            // generating node's own listeners lose it. Nothing was recorded; the next request generates again.
            return .init(.serviceUnavailable, "generating_node_lost", error.description)
        case let error where DiskSpace.isExhausted(error):
            // Supabase has no code of its own for this; 507 and S3's spelling say what happened.
            return .init(
                insufficientStorage, "storage_full", supabase: "InsufficientStorage", "the server's disk is full; nothing was stored")
        default:
            return nil
        }
    }

    static func upstream(_ failure: UpstreamFailure) -> ClassifiedError {
        switch failure {
        case let .voiceNotFound(voiceId, _):
            return .init(.notFound, "voice_not_found", "ElevenLabs has no voice '\(voiceId)'")
        case .notFound:
            return .init(.badGateway, "upstream_not_found", failure.description)
        case .authentication:
            return .init(
                .badGateway, "upstream_auth", "ElevenLabs rejected this server's API key; the operator must fix ELEVENLABS_API_KEY")
        case let .quotaExceeded(message):
            return .init(.badGateway, "upstream_quota", "the ElevenLabs account is out of quota: \(message)")
        case let .rejected(_, code, message):
            return .init(.badRequest, "upstream_rejected", "ElevenLabs rejected the request (\(code)): \(message)")
        case .timeout:
            return .init(.gatewayTimeout, "upstream_timeout", "ElevenLabs did not answer in time; try again")
        case .concurrencyLimited, .busy:
            return .init(.serviceUnavailable, "upstream_busy", "ElevenLabs is busy; try again shortly")
        case .serverError, .connection:
            return .init(.badGateway, "upstream_unavailable", failure.description)
        case .invalidAudio:
            return .init(.badGateway, "upstream_invalid_audio", failure.description)
        }
    }
}
