import ElevenLabs
import Foundation
import Testing
import VaultCore
@testable import VaultServer

/// One classification, two shapes: every known failure gets the same status on both surfaces, VoiceVault's
/// stable code in its shape and Supabase's spelling in Supabase's.
@Suite struct ErrorClassificationTests {
    static let cases: [(error: any Error, status: Int, code: String, supabase: String)] = [
        (VoiceError.budgetExhausted(spent: 1, limit: 1), 429, "budget_exhausted", "budget_exhausted"),
        (VoiceError.clientBudgetExhausted(spent: 1, limit: 1), 429, "client_budget_exhausted", "client_budget_exhausted"),
        (VoiceError.noSynthesizer, 503, "synthesizer_unavailable", "synthesizer_unavailable"),
        (VoiceError.unsupportedLanguage("xx"), 422, "unsupported_language", "unsupported_language"),
        (VoiceError.synthesizerFailed("lame"), 500, "synthesizer_failed", "synthesizer_failed"),
        (UpstreamFailure.voiceNotFound(voiceId: "v", message: ""), 404, "voice_not_found", "voice_not_found"),
        (UpstreamFailure.notFound(message: "Not Found"), 502, "upstream_not_found", "upstream_not_found"),
        (UpstreamFailure.authentication(status: 401, message: ""), 502, "upstream_auth", "upstream_auth"),
        (UpstreamFailure.quotaExceeded(message: ""), 502, "upstream_quota", "upstream_quota"),
        (UpstreamFailure.rejected(status: 422, code: "c", message: ""), 400, "upstream_rejected", "upstream_rejected"),
        (UpstreamFailure.timeout, 504, "upstream_timeout", "upstream_timeout"),
        (UpstreamFailure.busy(retryAfterSeconds: nil), 503, "upstream_busy", "upstream_busy"),
        (UpstreamFailure.concurrencyLimited(retryAfterSeconds: nil), 503, "upstream_busy", "upstream_busy"),
        (UpstreamFailure.serverError(status: 500, message: ""), 502, "upstream_unavailable", "upstream_unavailable"),
        (UpstreamFailure.connection("reset"), 502, "upstream_unavailable", "upstream_unavailable"),
        (UpstreamFailure.invalidAudio("short"), 502, "upstream_invalid_audio", "upstream_invalid_audio"),
        (StoreError.invalidAudio(MP3Error.empty), 502, "upstream_invalid_audio", "upstream_invalid_audio"),
        (StorageCatalogError.bucketNotFound("b"), 404, "bucket_not_found", "Bucket not found"),
        (StorageCatalogError.bucketExists("b"), 409, "duplicate", "Duplicate"),
        (StorageCatalogError.objectExists(bucket: "b", key: "k"), 409, "duplicate", "Duplicate"),
        (StorageCatalogError.bucketNotEmpty("b"), 409, "bucket_not_empty", "InvalidRequest"),
        (StorageCatalogError.objectNotFound(bucket: "b", key: "k"), 404, "not_found", "not_found"),
        (ObjectStore.Failure.tooLarge(limit: 10), 413, "payload_too_large", "Payload too large"),
        (ObjectStore.Failure.mimeTypeNotAllowed("x/y"), 415, "invalid_mime_type", "invalid_mime_type"),
        (VoiceAssetBucket.Refusal.notAnAssetKey("k"), 400, "invalid_key", "InvalidKey"),
        (VoiceAssetBucket.Refusal.differentContent(source: "a", destination: "b"), 400, "invalid_request", "InvalidRequest"),
        (SystemError(errno: ENOSPC, operation: "write", path: "/x"), 507, "storage_full", "InsufficientStorage"),
        (ClusterStoreError.catalogUnavailable("down"), 503, "catalog_unavailable", "catalog_unavailable"),
        (ClusterStoreError.blobStoreUnavailable("down"), 503, "blob_store_unavailable", "blob_store_unavailable"),
        (ClusterStoreError.notYetOnClusterNodes("purge"), 501, "not_yet_on_cluster_nodes", "not_yet_on_cluster_nodes"),
    ]

    @Test func everyKnownFailureHasOneStatusAndBothSpellings() {
        for entry in Self.cases {
            let voice = VoiceErrorMapping.apiError(for: entry.error)
            let supabase = SupabaseError.from(entry.error)
            #expect(voice?.status.code == entry.status, "\(entry.error)")
            #expect(voice?.code == entry.code, "\(entry.error)")
            #expect(supabase?.status.code == entry.status, "\(entry.error)")
            #expect(supabase?.error == entry.supabase, "\(entry.error)")
            #expect(voice?.message == supabase?.message)
            #expect(voice?.message.isEmpty == false)
        }
    }

    @Test func unknownFailuresAreNotClassified() {
        struct Surprise: Error {}
        #expect(ClassifiedError.classify(Surprise()) == nil)
        #expect(ClassifiedError.classify(StorageCatalogError.undecodableRecord("x")) == nil, "a damaged record is a 500, logged")
        #expect(ClassifiedError.classify(StoreError.notFound(hash: "h")) == nil)
    }

    @Test func eachSurfacePassesItsOwnErrorsThrough() {
        let api = APIError(.badRequest, code: "invalid_json", message: "m")
        #expect(VoiceErrorMapping.apiError(for: api) == api)
        #expect(SupabaseError.from(SupabaseError.objectNotFound) == SupabaseError.objectNotFound)
    }
}
