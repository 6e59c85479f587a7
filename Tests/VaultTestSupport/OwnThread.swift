public import Foundation

/// Runs blocking work (waiting for a child process) on a thread of its own. Neither Swift's cooperative pool
/// nor the `BlockingIO` queue may be used for waits that last seconds: the first has a thread per core, and
/// libdispatch on Linux grows the second only slowly, so a few such waits starve every other test that
/// writes a file or answers a request in process.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
