/// How many flight connections a node may hold at once (`CatalogURL.connections`); the claims past that wait
/// their turn, first come, first served.
///
/// Why: each held flight is a PostgreSQL connection of its own for as long as its generation runs, and the
/// number of distinct misses in flight is the clients' to choose. Unbounded, a burst of different texts would
/// open one connection each and exhaust the server's `max_connections` for every node of the cluster.
///
/// Invariants: `held <= limit`; a released place goes straight to the longest waiter, so new claims never
/// overtake the queue. Waiting is not cancellable: a claim's caller is a generation task, which runs to its end.
actor FlightAllowance {
    let limit: Int
    private(set) var held = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Claims waiting for a place.
    var waiting: Int { waiters.count - head }

    /// Returns once a place is this caller's; `release()` it exactly once.
    func take() async {
        if held < limit, waiting == 0 {
            held += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if head < waiters.count {
            // The place passes to the longest waiter; `held` does not change.
            let next = waiters[head]
            head += 1
            if head == waiters.count {
                waiters.removeAll(keepingCapacity: true)
                head = 0
            }
            next.resume()
        } else {
            held -= 1
        }
    }
}
