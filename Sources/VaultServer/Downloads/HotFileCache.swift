import NIOCore
import Synchronization
import VaultCore

/// A byte-bounded in-memory copy of recently served files, for files whose bytes never change under their key
/// (audio under its content hash). A hit answers from a shared `ByteBuffer`: ranges are slices of it, so a seek
/// costs no read and no copy, and every response to the same file shares one allocation.
///
/// Memory stays bounded: at most `capacity` bytes are held, no file over `entryLimit` is admitted (those
/// stream from the open descriptor in chunks), and a response keeps only a reference to the shared buffer.
final class HotFileCache<Key: Hashable & Sendable>: Sendable {
    private struct State: ~Copyable {
        var budget: LeastRecentlyUsedBudget<Key>
        var buffers: [Key: ByteBuffer] = [:]
        var hits = 0
        var misses = 0
    }

    private let state: Mutex<State>

    init(capacity: Int, entryLimit: Int) {
        state = Mutex(State(budget: LeastRecentlyUsedBudget(capacity: capacity, entryLimit: entryLimit)))
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

    /// Reads the whole of `file` once and holds it under `key`. Nil when the file is too large to hold;
    /// the caller streams it from the descriptor instead.
    func load(_ key: Key, from file: OpenFile) throws -> ByteBuffer? {
        guard file.size <= UInt64(Int.max), state.withLock({ $0.budget.admits(cost: Int(file.size)) }) else { return nil }
        let buffer = try file.read(offset: 0, count: Int(file.size))
        guard buffer.readableBytes == Int(file.size) else { return nil }
        state.withLock { state in
            guard let evicted = state.budget.admit(key, cost: buffer.readableBytes) else { return }
            for victim in evicted { state.buffers[victim] = nil }
            state.buffers[key] = buffer
        }
        return buffer
    }

    /// The bytes to answer with: the held copy of `key`, else the file at `path`, read into the cache when
    /// `load` is set and it fits, otherwise streamed from the descriptor opened here. Nil when there is no file.
    /// HEAD and 304 answers need no bytes, so callers load only for GET: only a body worth sending is worth
    /// holding.
    func bytes(for key: Key, path: @autoclosure () -> String?, load: Bool) throws -> DownloadBytes? {
        if let held = cached(key) { return .memory(held) }
        guard let path = path(), let opened = OpenFile(path: path) else { return nil }
        if load, let loaded = try self.load(key, from: opened) { return .memory(loaded) }
        return .file(opened)
    }

    /// Drops a key whose bytes may have changed (an overwritten upload) or that is gone.
    func invalidate(_ key: Key) {
        state.withLock { state in
            state.budget.remove(key)
            state.buffers[key] = nil
        }
    }

    var statistics: (bytes: Int, entries: Int, hits: Int, misses: Int) {
        state.withLock { ($0.budget.used, $0.budget.count, $0.hits, $0.misses) }
    }
}
