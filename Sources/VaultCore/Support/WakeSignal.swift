import Synchronization

/// A wake-up one waiter takes, with a bound on how long it waits: `signal` wakes the waiter, or the next one
/// to wait when none is waiting (at most one signal is kept: a burst is one wake-up).
///
/// Why not an `AsyncStream` raced against a sleep in a task group: cancelling the task that waits on a stream's
/// iterator finishes the stream, so once the sleep won a race every later wait returned at once, and the job
/// runner spun (polling its catalog, on a cluster opening a PostgreSQL connection per try).
///
/// Invariants: a waiter is resumed exactly once, by the signal or by its own timer, whichever comes first; a
/// timer never resumes a later waiter (each wait has its own number).
public final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: (number: Int, continuation: CheckedContinuation<Void, Never>)?
        var nextNumber = 0
        /// A wait whose timer fired before it was registered: it returns as soon as it registers.
        var expired: Int?
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether a waiter is waiting now (for tests).
    public var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// Returns at the next signal (or at once for one that came since the last wait), after `limit`, or when the
    /// waiting task is cancelled. One waiter at a time.
    public func wait(upTo limit: Duration) async {
        let number = state.withLock { state -> Int? in
            if state.pending {
                state.pending = false
                return nil
            }
            state.nextNumber += 1
            return state.nextNumber
        }
        guard let number else { return }
        let timer = Task { [self] in
            do { try await Task.sleep(for: limit) } catch { return }  // cancelled: the wait ended otherwise
            resume(number)
        }
        await withTaskCancellationHandler {
            await registered(number)
        } onCancel: {
            resume(number)
        }
        timer.cancel()
    }

    /// Waits as wait `number` until it is resumed.
    private func registered(_ number: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let signalled = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                if state.expired == number { return true }
                state.waiter = (number, continuation)
                return false
            }
            if signalled { continuation.resume() }
        }
    }

    /// The timer's (or a cancellation's) end of wait `number`: resumes it if it is still the one waiting.
    private func resume(_ number: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.number == number else {
                if state.waiter == nil { state.expired = number }
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
