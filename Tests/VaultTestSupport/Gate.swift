import Synchronization

/// A one-way gate for in-process tests: tasks wait at it until the test opens it, so a test about concurrency
/// holds work exactly as long as its condition needs, never for a guessed number of milliseconds.
public final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        var arrived = 0
    }

    private let state: Mutex<State>

    public init(open: Bool = false) {
        state = Mutex(State(isOpen: open))
    }

    /// Tasks that have reached the gate (whether or not it was open).
    public var arrived: Int { state.withLock { $0.arrived } }

    public func wait() async {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state in
                state.arrived += 1
                if state.isOpen { return true }
                state.waiting.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    /// Lets every waiting and future task through.
    public func open() {
        let waiting = state.withLock { state in
            state.isOpen = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
