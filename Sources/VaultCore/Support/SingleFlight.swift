/// One in-process flight per key: the first caller starts the work, everyone who asks for the same key while
/// it runs waits for that same result. It replaces the Redis `SET NX EX` lock of the old design, and is only
/// sound because one process owns the data directory (`DataDirectoryLock`).
///
/// - The work runs in its own task, not the first caller's: if that caller goes away (its client
///   disconnected), the others still get the result and the result is still stored.
/// - A failure is shared with the callers waiting at that moment and then forgotten: the next call starts a
///   new flight. Errors are never cached.
public actor SingleFlight<Key: Hashable & Sendable, Value: Sendable> {
    private struct Flight {
        let number: Int
        let task: Task<Value, any Error>
        let startedAt: ContinuousClock.Instant
        /// Callers waiting, the leader included.
        var waiters: Int
    }

    private var flights: [Key: Flight] = [:]
    /// How many flights were started (for tests and metrics): N concurrent calls for one key start 1.
    public private(set) var started = 0

    public init() {}

    /// Whether the caller started the flight (`leader`) or joined one already running.
    public enum Role: Sendable { case leader, follower }

    public func run(_ key: Key, _ work: @escaping @Sendable () async throws -> Value) async throws -> (Value, Role) {
        if let running = flights[key] {
            flights[key]?.waiters += 1
            // Only this flight's count: by the time the follower resumes, a new flight may hold the key.
            defer { if flights[key]?.number == running.number { flights[key]?.waiters -= 1 } }
            return (try await running.task.value, .follower)
        }
        started += 1
        let task = Task { try await work() }
        flights[key] = Flight(number: started, task: task, startedAt: .now, waiters: 1)
        defer { flights[key] = nil }
        return (try await task.value, .leader)
    }

    /// Keys with a flight in progress.
    public var inFlight: Int { flights.count }

    /// One flight in progress, as the operator's lock monitor shows it.
    public struct Snapshot: Sendable {
        public let key: Key
        /// Callers waiting for it, the leader included.
        public let waiters: Int
        public let ageSeconds: Double
    }

    /// Flights in progress, oldest first.
    public func snapshot() -> [Snapshot] {
        let now = ContinuousClock.now
        return flights.map { key, flight in
            let age = now - flight.startedAt
            return Snapshot(key: key, waiters: flight.waiters,
                            ageSeconds: Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18)
        }.sorted { $0.ageSeconds > $1.ageSeconds }
    }
}
