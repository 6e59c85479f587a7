import NIOCore
import Synchronization
import VaultCore

/// A byte-bounded in-memory copy of recently served files, for files whose bytes never change under their key
/// (audio under its content hash). A hit answers from a shared `ByteBuffer` with no read from disk.
///
/// Memory stays bounded by `capacity` however clients behave, which takes more than an LRU: a response keeps
/// its file's buffer while it is being sent, and a client that stops reading keeps its response. So every
/// response from memory holds a `HotFileLease`, and a leased entry is never evicted to make room (it would
/// free nothing). One invalidated while leased is *retired*: its bytes stay counted until the last lease
/// goes. When leased and held bytes leave no room, a new file is not loaded but streamed from its
/// descriptor in bounded chunks. Responses copy what
/// they send out of the shared buffer chunk by chunk (`DownloadResponder`), so what a stalled client pins in
/// the socket's queue is a chunk, never a whole file. (100 never-reading clients of eight 15 MB objects took
/// the server from 231 MB to 1 GB when responses were slices of per-response copies.)
final class HotFileCache<Key: Hashable & Sendable>: Sendable {
    private struct Held {
        var buffer: ByteBuffer
        var generation: UInt64
        var leases = 0
    }

    private struct Retired {
        var cost: Int
        var leases: Int
    }

    private struct State: ~Copyable {
        var budget: LeastRecentlyUsedBudget<Key>
        var held: [Key: Held] = [:]
        /// Evicted or invalidated entries still leased, by generation.
        var retired: [UInt64: Retired] = [:]
        var retiredBytes = 0
        var nextGeneration: UInt64 = 0
        var hits = 0
        var misses = 0

        /// Drops `key` from the held set; its bytes stay counted while responses still send them.
        mutating func evict(_ key: Key) {
            guard let entry = held.removeValue(forKey: key) else { return }
            if entry.leases > 0 {
                retired[entry.generation] = Retired(cost: entry.buffer.readableBytes, leases: entry.leases)
                retiredBytes += entry.buffer.readableBytes
            }
        }
    }

    private let state: Mutex<State>

    init(capacity: Int, entryLimit: Int) {
        state = Mutex(State(budget: LeastRecentlyUsedBudget(capacity: capacity, entryLimit: entryLimit)))
    }

    /// The held copy of `key` with a lease on it, marking it as just used; nil when not held.
    func cached(_ key: Key) -> (ByteBuffer, HotFileLease)? {
        let found: (ByteBuffer, UInt64)? = state.withLock { state in
            guard var entry = state.held[key] else {
                state.misses += 1
                return nil
            }
            state.budget.touch(key)
            state.hits += 1
            entry.leases += 1
            state.held[key] = entry
            return (entry.buffer, entry.generation)
        }
        guard let (buffer, generation) = found else { return nil }
        return (buffer, HotFileLease { [weak self] in self?.release(key, generation: generation) })
    }

    /// Reads the whole of `file` once and holds it under `key`, leased to the caller. Nil when the file is too
    /// large to hold, or held and still-sending bytes leave no room; the caller streams from the descriptor.
    func load(_ key: Key, from file: OpenFile) throws -> (ByteBuffer, HotFileLease)? {
        guard file.size <= UInt64(Int.max),
              state.withLock({ $0.budget.admits(cost: Int(file.size)) && $0.retiredBytes + Int(file.size) <= $0.budget.capacity })
        else { return nil }
        let buffer = try file.read(offset: 0, count: Int(file.size))
        guard buffer.readableBytes == Int(file.size) else { return nil }
        let generation: UInt64? = state.withLock { state in
            let held = state.held
            guard let evicted = state.budget.admit(key, cost: buffer.readableBytes, reserved: state.retiredBytes,
                                                   isPinned: { (held[$0]?.leases ?? 0) > 0 })
            else { return nil }
            for victim in evicted { state.evict(victim) }
            state.evict(key)  // a concurrent load of the same key: the newer copy wins
            state.nextGeneration += 1
            state.held[key] = Held(buffer: buffer, generation: state.nextGeneration, leases: 1)
            return state.nextGeneration
        }
        guard let generation else { return nil }
        return (buffer, HotFileLease { [weak self] in self?.release(key, generation: generation) })
    }

    /// The bytes to answer with: the held copy of `key`, else the file at `path`, read into the cache when
    /// `load` is set and it fits, otherwise streamed from the descriptor opened here. Nil when there is no file.
    func bytes(for key: Key, path: @autoclosure () -> String?, load: Bool) throws -> DownloadBytes? {
        if let (held, lease) = cached(key) { return .memory(held, lease) }
        guard let path = path(), let opened = OpenFile(path: path) else { return nil }
        if load, let (loaded, lease) = try self.load(key, from: opened) { return .memory(loaded, lease) }
        return .file(opened)
    }

    /// Drops a key whose bytes may have changed (an overwritten upload) or that is gone.
    func invalidate(_ key: Key) {
        state.withLock { state in
            state.budget.remove(key)
            state.evict(key)
        }
    }

    private func release(_ key: Key, generation: UInt64) {
        state.withLock { state in
            if var entry = state.held[key], entry.generation == generation {
                entry.leases -= 1
                state.held[key] = entry
            } else if var retired = state.retired[generation] {
                retired.leases -= 1
                if retired.leases == 0 {
                    state.retired[generation] = nil
                    state.retiredBytes -= retired.cost
                } else {
                    state.retired[generation] = retired
                }
            }
        }
    }

    var statistics: (bytes: Int, entries: Int, hits: Int, misses: Int, retiredBytes: Int) {
        state.withLock { ($0.budget.used, $0.budget.count, $0.hits, $0.misses, $0.retiredBytes) }
    }
}

/// A response's claim on a cached buffer: while it lives, the buffer's bytes count against the cache's
/// capacity even if the entry is evicted. Released when the response's body is done or dropped.
final class HotFileLease: Sendable {
    private let onRelease: @Sendable () -> Void

    init(_ onRelease: @escaping @Sendable () -> Void) {
        self.onRelease = onRelease
    }

    deinit { onRelease() }
}
