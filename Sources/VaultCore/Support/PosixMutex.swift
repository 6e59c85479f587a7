#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain blocking mutex for short critical sections around synchronous I/O (LMDB writes, per-hash
/// publication). Unlike `Synchronization.Mutex` it can return non-Sendable values, which the closure-scoped
/// LMDB API needs.
final class PosixMutex: @unchecked Sendable {
    // @unchecked: the pthread mutex is itself the synchronisation; it lives at a stable heap address.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
