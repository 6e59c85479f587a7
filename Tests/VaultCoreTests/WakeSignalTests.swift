import Synchronization
import Testing
import VaultCore
import VaultTestSupport

/// The wake-up the job runner waits on: a wait ends at a signal, at its limit or when cancelled, and a wait that
/// ended by its limit leaves the next wait waiting (the bug it replaces: every later wait returned at once).
@Suite struct WakeSignalTests {
    final class Ended: Sendable {
        let flag = Atomic<Bool>(false)
        var value: Bool { flag.load(ordering: .acquiring) }
        func set() { flag.store(true, ordering: .releasing) }
    }

    @Test func aWaitEndsAtItsLimitAndTheNextStillWaitsForASignal() async throws {
        let signal = WakeSignal()
        await signal.wait(upTo: .milliseconds(10))
        let ended = Ended()
        let waiter = Task {
            await signal.wait(upTo: .seconds(3600))
            ended.set()
        }
        try await waitUntil("the second wait is waiting") { signal.isWaiting }
        #expect(!ended.value, "a wait after one that timed out waits")
        signal.signal()
        await waiter.value
        #expect(ended.value && !signal.isWaiting)
    }

    @Test func aSignalWithNobodyWaitingIsKeptForTheNextWaitOnce() async {
        let signal = WakeSignal()
        signal.signal()
        signal.signal()
        await signal.wait(upTo: .seconds(3600))  // returns at once: the kept signal
        await signal.wait(upTo: .milliseconds(10))  // the burst was one signal: this one waits out its limit
        #expect(!signal.isWaiting)
    }

    @Test func aCancelledWaitEnds() async throws {
        let signal = WakeSignal()
        let waiter = Task { await signal.wait(upTo: .seconds(3600)) }
        try await waitUntil("waiting") { signal.isWaiting }
        waiter.cancel()
        await waiter.value
        #expect(!signal.isWaiting)
    }

    /// Many short waits in a row, each ended by its limit or by a racing signal: none is lost, none hangs.
    @Test func racingSignalsAndLimitsNeverHang() async {
        let signal = WakeSignal()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for _ in 0..<200 {
                    signal.signal()
                    await Task.yield()
                }
            }
            group.addTask { for _ in 0..<200 { await signal.wait(upTo: .milliseconds(1)) } }
        }
        #expect(!signal.isWaiting)
    }
}
