import Metrics
public import VaultCore

/// At most `limit` operations at once, the rest queued first come, first served.
///
/// ElevenLabs plans cap concurrent generations (Creator: 5); going over earns 429s. A released permit is
/// handed straight to the longest waiter, so a burst of new arrivals can never overtake the queue.
public actor ConcurrencyLimiter {
    public let limit: Int
    public private(set) var inUse = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var head = 0
    /// `voicevault_upstream_limiter_queued` and `voicevault_upstream_limiter_in_use`, kept current at every change.
    private let queuedGauge = Gauge(label: "voicevault_upstream_limiter_queued")
    private let inUseGauge = Gauge(label: "voicevault_upstream_limiter_in_use")

    public init(limit: Int) {
        precondition(limit > 0, "limit must be positive")
        self.limit = limit
    }

    private func report() {
        queuedGauge.record(queued)
        inUseGauge.record(inUse)
    }

    /// Operations waiting for a permit.
    public var queued: Int { waiters.count - head }

    public func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await body()
            release()
            return result
        } catch {
            release()
            throw error
        }
    }

    func acquire() async {
        if inUse < limit {
            inUse += 1
            report()
            return
        }
        await withCheckedContinuation {
            waiters.append($0)
            report()
        }
        // The releaser handed its permit over: `inUse` already counts us.
    }

    func release() {
        if head < waiters.count {
            let next = waiters[head]
            head += 1
            if head > 64, head * 2 > waiters.count {
                waiters.removeFirst(head)
                head = 0
            }
            next.resume()
        } else {
            inUse -= 1
        }
        report()
    }
}

extension ConcurrencyLimiter: UpstreamLoad {
    /// Background work (pre-generation jobs) takes a permit only when nobody is waiting and one more permit
    /// would still be left for a listener, so interactive requests always come first.
    public func hasRoomForBackground() async -> Bool {
        queued == 0 && inUse < max(1, limit - 1)
    }
}
