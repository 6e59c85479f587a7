import Foundation
import Hummingbird
import Prometheus
import Synchronization
import VaultCore

/// `GET /metrics` in the Prometheus text format: the swift-metrics series from the registry, and the gauges
/// read at scrape time (flights in progress and their waiters, assets and stored bytes, the ledger's queue).
///
/// It takes the admin token as Bearer (Prometheus' `authorization` scrape setting), unless
/// `VOICEVAULT_METRICS_PUBLIC=true` opens it for a private network.
struct MetricsRoutes {
    let registry: PrometheusCollectorRegistry
    let voice: VoiceService
    let usage: UsageRecorder

    init(registry: PrometheusCollectorRegistry, voice: VoiceService, usage: UsageRecorder) {
        self.registry = registry
        self.voice = voice
        self.usage = usage
    }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func register(on group: RouterGroup<VaultRequestContext>, table: RouteTable) {
        group.on("/metrics", method: .get, recordingIn: table) { _, _ in
            var text = registry.emitToBuffer()
            text += Array(try await scrapeTimeSeries().utf8)
            var headers = HTTPFields()
            headers[.contentType] = Self.contentType
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

    /// Values that are read, not counted: written here in the exposition format, each with its TYPE line.
    func scrapeTimeSeries() async throws -> String {
        let flights = await voice.flightSnapshot()
        let store = voice.store
        let assets = try await BlockingIO.run { try store.index.count() }
        let bytes = try await BlockingIO.run { try store.index.storedBytes() }
        var lines: [String] = []
        func series(_ name: String, _ type: String, _ help: String, _ value: Int) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            lines.append("\(name) \(value)")
        }
        series("voicevault_flights_in_progress", "gauge", "Generations in progress (one live generation per content hash).", flights.count)
        series(
            "voicevault_flight_waiters", "gauge", "Requests waiting for a generation in progress, leaders included.",
            flights.reduce(0) { $0 + $1.waiters })
        series("voicevault_assets", "gauge", "Asset records in the index.", assets)
        series("voicevault_stored_bytes", "gauge", "Bytes of generated audio stored, each asset once.", bytes)
        // A cluster node's own figures above are its cache; the cluster's, from the catalog, when it answers
        // (a scrape never fails for a catalog that is away: the series are then left out).
        if let cluster = voice.cluster, let totals = try? await cluster.totals() {
            series("voicevault_cluster_assets", "gauge", "Asset records in the cluster's catalog.", totals.assets)
            series("voicevault_cluster_stored_bytes", "gauge", "Bytes of audio the cluster stores, each asset once.", totals.bytes)
            series("voicevault_cluster_books", "gauge", "Books that link any audio in the cluster.", totals.books)
        }
        if let writer = usage.writer {
            let counts = writer.counts
            series(
                "voicevault_ledger_events_dropped_total", "counter", "Usage events the ledger could not keep (queue full or write failed).",
                counts.dropped)
            series("voicevault_ledger_events_written_total", "counter", "Usage events written to the ledger.", counts.written)
            series("voicevault_ledger_queue_events", "gauge", "Usage events waiting to be written.", counts.queued)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
