import Foundation

/// Runs blocking file-system work (writes, fsyncs, LMDB commits, cold reads) off Swift's cooperative thread
/// pool, which has only as many threads as cores: an fsync there would stall every other task on the server.
///
/// The work goes to a fixed pool of threads of its own (`BlockingThreadPool`). It used to go to a concurrent
/// GCD queue, but on Linux libdispatch adds threads slowly when its threads block in the kernel: with four
/// operations blocked on a 2-core machine, 32 short ones behind them took 2.95 s to finish there, 25 ms in this
/// pool (`BlockingIOTests`, one run each). Slow fsyncs (a resumable upload's checkpoint, a large object's
/// commit) held up every other file operation the same way. A fixed pool states the bound: at most
/// `threadCount` operations block at once, and a few slow disk calls leave the rest of the pool free.
public enum BlockingIO {
    /// Threads in the pool: enough that a few slow disk calls never hold up the others, few enough that their
    /// stacks cost little (they are created once, at first use).
    public static let threadCount = max(16, 4 * ProcessInfo.processInfo.activeProcessorCount)

    private static let pool = BlockingThreadPool(threads: threadCount, name: "voicevault.blocking-io")

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            pool.submit { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// A fixed set of threads taking closures from one first-in, first-out queue.
final class BlockingThreadPool: @unchecked Sendable {
    // @unchecked: `pending` and `head` are only touched while `condition` is locked.
    private let condition = NSCondition()
    /// Taken items are set to nil at once: a closure left in the array would keep what it captured (an
    /// upload's megabyte batch) alive until the array is next compacted.
    private var pending: [(@Sendable () -> Void)?] = []
    private var head = 0

    init(threads: Int, name: String) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    func submit(_ item: @escaping @Sendable () -> Void) {
        condition.lock()
        pending.append(item)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while head == pending.count { condition.wait() }
            let item = pending[head]
            pending[head] = nil
            head += 1
            // Drop the run already taken once it is large, so the queue's storage does not grow forever.
            if head >= 1024, head * 2 >= pending.count {
                pending.removeFirst(head)
                head = 0
            }
            condition.unlock()
            item?()
        }
    }
}
