import CLMDB
import Synchronization

/// Read transactions kept between reads, reset, to be renewed (`mdb_txn_reset` / `mdb_txn_renew`).
///
/// Beginning a read transaction allocates its handle and, with `MDB_NOTLS`, takes the reader table's mutex (shared
/// with every process on the environment) to find a free slot; ending it gives both back. Every cache hit and
/// every download reads the index once, and that begin and end were a large part of a lookup. A reset transaction
/// keeps its handle and its slot but holds no snapshot (its reader slot says "no transaction"), so keeping one
/// pins no pages and blocks no writer or map resize; renewing it takes a fresh snapshot. LMDB's documentation
/// recommends exactly this for read-heavy use.
///
/// Bounded: at most `capacity` are kept (each holds one of the environment's `maxReaders` slots); a read that
/// finds none begins a new one, and one given back to a full pool is aborted.
final class ReadTransactionPool: Sendable {
    /// `OpaquePointer` is not `Sendable`; the handles move between threads only through the mutex, and LMDB allows
    /// that under `MDB_NOTLS`.
    private struct Handles: @unchecked Sendable {
        var kept: [OpaquePointer] = []
    }

    private let handles = Mutex(Handles())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// A reset transaction to renew, or nil when none is kept.
    func take() -> OpaquePointer? {
        handles.withLock { $0.kept.popLast() }
    }

    /// Resets `transaction` (ending its snapshot) and keeps it, or aborts it when the pool is full.
    func giveBack(_ transaction: OpaquePointer) {
        mdb_txn_reset(transaction)
        let kept = handles.withLock { state -> Bool in
            guard state.kept.count < capacity else { return false }
            state.kept.append(transaction)
            return true
        }
        if !kept { mdb_txn_abort(transaction) }
    }

    /// Aborts a transaction that could not be renewed (it is not kept).
    func discard(_ transaction: OpaquePointer) {
        mdb_txn_abort(transaction)
    }

    /// Aborts every kept transaction; before the environment closes.
    func drain() {
        let all = handles.withLock { state -> Handles in
            defer { state.kept = [] }
            return state
        }
        for transaction in all.kept { mdb_txn_abort(transaction) }
    }

    /// How many are kept now (tests).
    var keptCount: Int { handles.withLock { $0.kept.count } }
}
