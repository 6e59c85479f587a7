#if canImport(Glibc)
import Glibc
#endif
@_spi(CustomByteBufferAllocator) import NIOCore
import Synchronization

/// Knows when the memory of a cached file is really returned, so `HotFileCache` can count it until then.
///
/// A response from the cache sends slices of the shared buffer: no copy, one write, which is what makes a hit
/// fast. But a slice keeps the whole buffer alive for as long as it sits in a socket's queue, and a client
/// that stops reading keeps it there. So an entry evicted from the cache is not gone: it is *retired*, and
/// stays counted against the cache's capacity until its storage is freed. ByteBuffers for cached files are
/// allocated by `allocator`, whose deallocation hook (a C function: it cannot capture, hence the registry
/// here) reports the pointer being freed; a retired buffer's bytes are then taken off its cache's count.
enum CachedBufferMemory {
    /// The retired bytes of one cache, shared with the registry.
    final class RetiredBytes: Sendable {
        private let bytes = Atomic<Int>(0)
        var value: Int { bytes.load(ordering: .acquiring) }
        func add(_ amount: Int) { bytes.add(amount, ordering: .acquiringAndReleasing) }
    }

    private struct Registration {
        let owner: RetiredBytes
        let size: Int
        var retired = false
    }

    /// Storage pointers of live cached buffers. Locked briefly and never while calling out, so the
    /// deallocation hook can run on any thread, inside any other lock.
    private static let registry = Mutex<[UInt: Registration]>([:])

    static let allocator = ByteBufferAllocator(
        allocate: { size in malloc(size) },
        reallocate: { pointer, _, size in realloc(pointer, size) },
        deallocate: { pointer in
            CachedBufferMemory.freed(pointer)
            free(pointer)
        },
        copy: { destination, source, count in destination.copyMemory(from: source, byteCount: count) })

    /// Starts tracking `buffer`, a whole file just read with `allocator`, for `owner`.
    static func register(_ buffer: ByteBuffer, owner: RetiredBytes) {
        guard let key = storageKey(buffer) else { return }
        registry.withLock { $0[key] = Registration(owner: owner, size: buffer.readableBytes) }
    }

    /// The cache lets go of `buffer`: its bytes count as retired until the storage is freed, which happens
    /// as soon as the caller drops its reference if no response holds a slice.
    static func retire(_ buffer: ByteBuffer) {
        guard let key = storageKey(buffer) else { return }
        let owner: (RetiredBytes, Int)? = registry.withLock { registry in
            guard var registration = registry[key], !registration.retired else { return nil }
            registration.retired = true
            registry[key] = registration
            return (registration.owner, registration.size)
        }
        if let (counter, size) = owner { counter.add(size) }
    }

    private static func freed(_ pointer: UnsafeMutableRawPointer) {
        let registration = registry.withLock { $0.removeValue(forKey: UInt(bitPattern: pointer)) }
        if let registration, registration.retired { registration.owner.add(-registration.size) }
    }

    /// A cached buffer is a whole file read into a fresh allocation, so its readable bytes start at its
    /// storage: that address identifies the allocation the hook will be given.
    private static func storageKey(_ buffer: ByteBuffer) -> UInt? {
        guard buffer.readerIndex == 0, buffer.readableBytes > 0 else { return nil }
        return buffer.withUnsafeReadableBytes { raw in raw.baseAddress.map { UInt(bitPattern: $0) } }
    }
}
