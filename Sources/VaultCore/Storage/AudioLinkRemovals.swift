import Synchronization

/// Who must hear that one of an asset's files was unlinked from disk: caches in the server that keep a file's
/// descriptor open (`OpenFileCache`). An open descriptor keeps an unlinked file's blocks allocated, so without
/// this an evicted or deleted asset would still use the disk it was removed to free, until the descriptor
/// happened to be dropped. Listeners run on the deleting thread, after the unlink, and must not block.
public final class AudioLinkRemovals: Sendable {
    public typealias Listener = @Sendable (SHA256Digest) -> Void
    private let listeners = Mutex<[Listener]>([])

    public init() {}

    public func listen(_ listener: @escaping Listener) {
        listeners.withLock { $0.append(listener) }
    }

    func linkRemoved(_ hash: SHA256Digest) {
        for listener in listeners.withLock({ $0 }) { listener(hash) }
    }
}
