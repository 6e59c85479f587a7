#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import VaultCore

/// Descriptors of recently served files kept open, as nginx's `open_file_cache`: a hot file is opened once,
/// not per request, so the fast paths can send it with `sendfile` from the event loop without a hop to the
/// thread pool to open it. Only for files whose bytes never change under their key (audio under its content
/// hash), so a kept descriptor can never show other bytes than the key names.
///
/// What it must never do, and why it cannot:
/// - *Answer for a deleted asset.* Every answer reads the index first; a descriptor is only asked for once the
///   record says the asset is there, exactly as for the bytes `HotFileCache` holds.
/// - *Keep a removed file's disk space.* An open descriptor keeps an unlinked file's blocks allocated. The store
///   tells `invalidate` after every unlink (`AudioLinkRemovals`), and `keep` refuses a file whose last link is
///   already gone, checked under the same lock, so a file opened just before its unlink and kept just after
///   cannot stay: either the keep comes first and the invalidation drops it, or the unlink comes first and the
///   keep sees no link left.
/// - *Run the process out of descriptors.* At most `capacity` are kept. A descriptor leaves the cache at once
///   when evicted, and closes when the last answer still sending from it is done (`OpenFile` closes in `deinit`).
final class OpenFileCache<Key: Hashable & Sendable>: Sendable {
    private struct State: ~Copyable {
        var recency: LeastRecentlyUsedBudget<Key>
        var files: [Key: OpenFile] = [:]
        var hits = 0
        var misses = 0
    }

    private let state: Mutex<State>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        state = Mutex(State(recency: LeastRecentlyUsedBudget(capacity: max(0, capacity), entryLimit: 1)))
    }

    /// The kept descriptor of `key`, marking it as just used; nil when none is kept.
    func file(_ key: Key) -> OpenFile? {
        state.withLock { state in
            guard let file = state.files[key] else {
                state.misses += 1
                return nil
            }
            state.recency.touch(key)
            state.hits += 1
            return file
        }
    }

    /// Keeps `file` open under `key`, evicting the least recently used beyond `capacity`. A file with no link
    /// left on disk is not kept.
    func keep(_ file: OpenFile, for key: Key) {
        guard capacity > 0 else { return }
        // Dropped outside the lock: the last reference closes its descriptor.
        let dropped: [OpenFile] = state.withLock { state in
            var info = stat()
            guard fstat(file.descriptor, &info) == 0, info.st_nlink > 0,
                let evicted = state.recency.admit(key, cost: 1)
            else { return [] }
            var dropped = evicted.compactMap { state.files.removeValue(forKey: $0) }
            if let replaced = state.files.updateValue(file, forKey: key) { dropped.append(replaced) }
            return dropped
        }
        withExtendedLifetime(dropped) {}
    }

    /// Forgets `key`'s descriptor (its file was unlinked); answers still sending from it finish first.
    func invalidate(_ key: Key) {
        let dropped: OpenFile? = state.withLock { state in
            state.recency.remove(key)
            return state.files.removeValue(forKey: key)
        }
        withExtendedLifetime(dropped) {}
    }

    var statistics: (entries: Int, hits: Int, misses: Int) {
        state.withLock { ($0.files.count, $0.hits, $0.misses) }
    }
}
