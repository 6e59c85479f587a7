import Metrics
public import VaultCore

/// The voice service's events as Prometheus series (swift-metrics API; the Prometheus backend is bootstrapped
/// by `serve`): cache hits and misses by surface, generations, failures by error code, characters generated
/// and saved, and where generations spent their time.
public struct VoiceMetrics: VoiceEventSink {
    let surface: String

    private let hits: Counter
    private let misses: Counter
    private let generations = Counter(label: "voicevault_generations_total")
    private let charactersGenerated = Counter(label: "voicevault_characters_generated_total")
    private let charactersSaved = Counter(label: "voicevault_characters_saved_total")
    private let upstream = Timer(label: "voicevault_upstream_duration_seconds", preferredDisplayUnit: .seconds)
    private let write = Timer(label: "voicevault_publish_write_duration_seconds", preferredDisplayUnit: .seconds)
    private let fsync = Timer(label: "voicevault_publish_fsync_duration_seconds", preferredDisplayUnit: .seconds)
    private let index = Timer(label: "voicevault_publish_index_duration_seconds", preferredDisplayUnit: .seconds)
    private let assetsDeleted = Counter(label: "voicevault_assets_deleted_total")
    private let bytesFreed = Counter(label: "voicevault_bytes_freed_total")
    private let assetsEvicted = Counter(label: "voicevault_evicted_assets_total")
    private let bytesEvicted = Counter(label: "voicevault_evicted_bytes_total")

    public init(surface: String = "voice") {
        self.surface = surface
        hits = Counter(label: "voicevault_cache_requests_total", dimensions: [("surface", surface), ("result", "hit")])
        misses = Counter(label: "voicevault_cache_requests_total", dimensions: [("surface", surface), ("result", "miss")])
    }

    public func record(_ event: VoiceEvent) {
        switch event {
        case let .hit(usage):
            hits.increment()
            charactersSaved.increment(by: usage.characters)
        case let .joined(usage):
            misses.increment()
            charactersSaved.increment(by: usage.characters)
        case let .generated(usage, generated):
            misses.increment()
            generations.increment()
            charactersGenerated.increment(by: generated.characterCost ?? usage.characters)
            upstream.recordNanoseconds(Int64(generated.timings.upstreamSeconds * 1e9))
            write.recordNanoseconds(Int64(generated.timings.writeSeconds * 1e9))
            fsync.recordNanoseconds(Int64(generated.timings.fsyncSeconds * 1e9))
            index.recordNanoseconds(Int64(generated.timings.indexSeconds * 1e9))
        case let .deleted(deletion):
            assetsDeleted.increment(by: deletion.removal.assetsRemoved)
            bytesFreed.increment(by: deletion.removal.bytesFreed)
            if deletion.action == VoiceEvent.Deletion.evictAction {
                assetsEvicted.increment(by: deletion.removal.assetsRemoved)
                bytesEvicted.increment(by: deletion.removal.bytesFreed)
            }
        case let .failed(_, error):
            // The code is one of the API's stable codes: a bounded set.
            let code = VoiceErrorMapping.apiError(for: error)?.code ?? "internal_error"
            Counter(label: "voicevault_generation_failures_total", dimensions: [("code", code)]).increment()
        }
    }
}
