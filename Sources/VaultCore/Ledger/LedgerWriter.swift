import Synchronization

/// Writes ledger events off the request path: requests enqueue (never blocking, never failing), and one
/// background loop writes batches, when `batchSize` events are waiting or every `interval`, whichever comes
/// first, and once more when it is cancelled (at shutdown).
///
/// The queue is bounded: when the ledger falls behind, new events are dropped and counted (`dropped`, in
/// metrics), so a slow disk or an unreachable catalog costs history, never a request. A SIGKILL loses at most
/// what was queued.
public final class LedgerWriter: Sendable {
    /// Where the rows go: the data directory's SQLite file, or a cluster's catalog.
    public let history: any UsageHistory
    public let capacity: Int
    public let batchSize: Int
    public let interval: Duration

    private struct State {
        var events: [LedgerEvent] = []
        var dropped = 0
        var written = 0
        var failedWrites = 0
        var waiter: CheckedContinuation<Void, Never>?
        var wakeRequested = false
    }

    private let state = Mutex(State())

    public init(
        history: any UsageHistory, capacity: Int = 10_000, batchSize: Int = 256, interval: Duration = .milliseconds(500)
    ) {
        self.history = history
        self.capacity = max(1, capacity)
        self.batchSize = max(1, batchSize)
        self.interval = interval
    }

    /// Queues an event; drops it (counted) when the queue is full.
    public func enqueue(_ event: LedgerEvent) {
        let wakeWriter = state.withLock { state -> Bool in
            guard state.events.count < capacity else {
                state.dropped += 1
                return false
            }
            state.events.append(event)
            return state.events.count == batchSize
        }
        if wakeWriter { wake() }
    }

    /// Events dropped because the queue was full, events written, and batches that failed to write.
    public var counts: (dropped: Int, written: Int, failedWrites: Int, queued: Int) {
        state.withLock { ($0.dropped, $0.written, $0.failedWrites, $0.events.count) }
    }

    /// The background loop: runs until its task is cancelled, then writes what is left.
    public func run() async {
        let interval = interval
        let ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                self?.wake()
            }
        }
        defer { ticker.cancel() }
        await withTaskCancellationHandler {
            while !Task.isCancelled {
                await waitForWake()
                await flush()
            }
        } onCancel: {
            wake()
        }
        await flush()
    }

    /// Writes everything queued now (the stats routes call it so they read their own requests).
    public func flush() async {
        let batch = state.withLock { state -> [LedgerEvent] in
            defer { state.events.removeAll(keepingCapacity: true) }
            return state.events
        }
        guard !batch.isEmpty else { return }
        do {
            try await history.write(LedgerBatch(batch))
            state.withLock { $0.written += batch.count }
        } catch {
            // Accounting, not truth: a batch that cannot be written is counted and let go.
            state.withLock {
                $0.failedWrites += 1
                $0.dropped += batch.count
            }
        }
    }

    private func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.wakeRequested = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    private func waitForWake() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.wakeRequested {
                    state.wakeRequested = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
