public import ServiceLifecycle
public import VaultCore
public import Logging

/// The disk quota as a service of `serve`: every `interval` it writes the heard times to the index and, when
/// a limit is set and the store is over it, evicts (`AssetEviction`) down to 90 % of it. A generation wakes it
/// at once (`wake`, from the voice events), so a burst of misses is not over the limit for a whole interval.
/// Runs eviction off the cooperative pool.
///
/// On a cluster node `limit` bounds the node's own cache, and each pass also sends the node's heard times to
/// the catalog and, on the one node holding the evictor's role, applies the cluster's quota (`clusterLimit`
/// over every asset of the catalog; `ClusterQuota`).
public final class StoreQuotaService: Service, Sendable {
    public let eviction: AssetEviction
    public let limit: Int?
    let interval: Duration
    let logger: Logger
    let wakeup: QuotaWakeup
    let cluster: ClusterQuota?
    let clusterLimit: Int?

    public init(
        eviction: AssetEviction, limit: Int?, wakeup: QuotaWakeup, interval: Duration = .seconds(10), cluster: ClusterQuota? = nil,
        clusterLimit: Int? = nil, logger: Logger
    ) {
        self.eviction = eviction
        self.limit = limit
        self.cluster = cluster
        self.clusterLimit = clusterLimit
        self.wakeup = wakeup
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let ticks = AsyncStream<Void> { continuation in
            let task = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    continuation.yield()
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await _ in ticks { await self.pass() } }
                group.addTask { for await _ in self.wakeup.stream { await self.pass() } }
                await group.next()
                group.cancelAll()
            }
        }
        // Heard times are worth keeping across a restart.
        do { try await BlockingIO.run { [eviction] in try eviction.flushHeard() } } catch {
            logger.warning("could not write heard times at shutdown", metadata: ["error": "\(error)"])
        }
        if let cluster {
            try? await cluster.pushHeard()
            await cluster.releaseRole()
        }
    }

    /// One pass: flush, and evict when over the limit.
    func pass() async {
        do {
            if let limit {
                report("disk quota", try await evict(limit: limit, dryRun: false))
            } else {
                try await BlockingIO.run { [eviction] in try eviction.flushHeard() }
            }
        } catch {
            logger.error("disk quota pass failed", metadata: ["error": "\(error)"])
        }
        if let cluster { await clusterPass(cluster) }
    }

    /// Logs a run that evicted something or cannot reach its target; a quiet run says nothing.
    private func report(_ name: String, _ result: AssetEviction.Result) {
        guard !result.evicted.isEmpty || result.targetUnreachable else { return }
        logger.notice(
            "\(name)",
            metadata: [
                "limit": "\(result.limit)", "before": "\(result.bytesBefore)", "after": "\(result.bytesAfter)",
                "evicted": "\(result.evicted.count)", "freed": "\(result.bytesFreed)", "skipped": "\(result.skipped)",
                "targetUnreachable": "\(result.targetUnreachable)",
            ])
    }

    /// The cluster's part of a pass: this node's heard times to the catalog, then the cluster's quota if this
    /// node is the evictor. A catalog that is away is waited out.
    func clusterPass(_ cluster: ClusterQuota) async {
        do {
            try await cluster.pushHeard()
            guard let clusterLimit, try await cluster.holdsEvictorRole() else { return }
            report("cluster quota", try await cluster.run(limit: clusterLimit))
        } catch {
            logger.warning("cluster quota pass failed", metadata: ["error": "\(error)"])
        }
    }

    /// One eviction run (`AssetEviction` serialises runs: the loop's and `POST /admin/gc`'s).
    public func evict(limit: Int, dryRun: Bool) async throws -> AssetEviction.Result {
        try await BlockingIO.run { [eviction] in try eviction.run(limit: limit, dryRun: dryRun) }
    }
}

/// The voice events' door to the quota: a generation may have taken the store over its limit, so it wakes the
/// quota's loop (at most one wake-up waits; a burst of generations is one pass). Made before the voice service,
/// which reports to it, and handed to the quota service, which the voice service's eviction makes.
public final class QuotaWakeup: VoiceEventSink, Sendable {
    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public func record(_ event: VoiceEvent) {
        if case .generated = event { continuation.yield() }
    }
}
