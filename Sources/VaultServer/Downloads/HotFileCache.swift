import NIOCore
import Synchronization
import VaultCore

/// A byte-bounded in-memory copy of recently served files, for files whose bytes never change under their key
/// (audio under its content hash). A hit answers from a shared `ByteBuffer`: ranges are slices of it, so a seek
/// costs no read and no copy, and every response to the same file shares one allocation.
///
/// Memory stays bounded by `capacity` however clients behave. A response holds a slice of a buffer, and a
/// client that stops reading keeps it in the socket's queue, so an evicted entry can outlive its place in
/// the cache: it is then *retired* and still counted (`CachedBufferMemory` learns when its storage is really
/// freed). A file is admitted only while held and retired bytes leave room for it; otherwise it streams from
/// its descriptor in bounded chunks (Docs/PERFORMANCE.md, "Hardening the edge": uncounted evicted buffers held
/// by stalled responses were what grew the server).
final class HotFileCache<Key: Hashable & Sendable>: Sendable {
    private struct State: ~Copyable {
        var budget: LeastRecentlyUsedBudget<Key>
        var buffers: [Key: ByteBuffer] = [:]
        var hits = 0
        var misses = 0

        /// Drops `key`'s buffer, counting it as retired until its memory is freed.
        mutating func evict(_ key: Key) {
            guard let buffer = buffers.removeValue(forKey: key) else { return }
            CachedBufferMemory.retire(buffer)
        }
    }

    private let state: Mutex<State>
    private let retired = CachedBufferMemory.RetiredBytes()

    /// The largest file held; larger ones always stream from their descriptor.
    let entryLimit: Int
    /// Where descriptors of files opened here are kept open, for the fast paths' `sendfile`; nil opens per read.
    let descriptors: OpenFileCache<Key>?

    init(capacity: Int, entryLimit: Int, descriptors: OpenFileCache<Key>? = nil) {
        let budget = LeastRecentlyUsedBudget<Key>(capacity: capacity, entryLimit: entryLimit)
        self.entryLimit = budget.entryLimit
        self.descriptors = descriptors
        state = Mutex(State(budget: budget))
    }

    /// The held copy of `key`, marking it as just used; nil when not held.
    func cached(_ key: Key) -> ByteBuffer? {
        state.withLock { state in
            guard let buffer = state.buffers[key] else {
                state.misses += 1
                return nil
            }
            state.budget.touch(key)
            state.hits += 1
            return buffer
        }
    }

    /// Reads the whole of `file` once and holds it under `key`. Nil when the file is too large to hold, or
    /// when held and retired bytes leave no room for it; the caller streams it from the descriptor instead.
    func load(_ key: Key, from file: OpenFile) throws -> ByteBuffer? {
        guard file.size <= UInt64(Int.max) else { return nil }
        let cost = Int(file.size)
        let (admissible, capacity) = state.withLock { ($0.budget.admits(cost: cost), $0.budget.capacity) }
        guard admissible, retired.value + cost <= capacity else { return nil }
        let buffer = try file.read(offset: 0, count: cost, allocator: CachedBufferMemory.allocator)
        guard buffer.readableBytes == cost else { return nil }
        CachedBufferMemory.register(buffer, owner: retired)
        let admitted: Bool = state.withLock { state in
            guard let evicted = state.budget.admit(key, cost: cost, reserved: retired.value) else { return false }
            for victim in evicted { state.evict(victim) }
            state.evict(key)  // a concurrent load of the same key: the newer copy wins
            // Evicted buffers still sent by responses stay counted: room is only what is really free.
            guard state.budget.used + retired.value <= capacity else {
                state.budget.remove(key)
                return false
            }
            state.buffers[key] = buffer
            return true
        }
        return admitted ? buffer : nil
    }

    /// The bytes to answer with: the held copy of `key`, else the file at `path` (its kept descriptor, or
    /// opened here and kept), read into the cache when it fits, otherwise streamed from the descriptor. Nil
    /// when there is no file. Only answers with a body ask (`DownloadResponder` plans first), so whatever is
    /// read is worth holding.
    func bytes(for key: Key, path: @autoclosure () -> String?) throws -> DownloadBytes? {
        if let held = cached(key) { return .memory(held) }
        let opened: OpenFile
        if let kept = descriptors?.file(key) {
            opened = kept
        } else {
            guard let path = path(), let fresh = OpenFile(path: path) else { return nil }
            descriptors?.keep(fresh, for: key)
            opened = fresh
        }
        if let loaded = try load(key, from: opened) { return .memory(loaded) }
        return .file(opened)
    }

    /// Drops a key whose bytes may have changed (an overwritten upload) or that is gone.
    func invalidate(_ key: Key) {
        state.withLock { state in
            state.budget.remove(key)
            state.evict(key)
        }
    }

    var statistics: (bytes: Int, entries: Int, hits: Int, misses: Int, retiredBytes: Int) {
        let retiredBytes = retired.value
        return state.withLock { ($0.budget.used, $0.budget.count, $0.hits, $0.misses, retiredBytes) }
    }
}
