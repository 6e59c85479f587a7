import Synchronization
public import VaultCore

/// A synthesizer for in-process tests: every call waits at a gate the test opens, so tests about
/// concurrency wait on conditions instead of sleeping. It counts calls and can be told to fail.
public final class GatedSynthesizer: SpeechSynthesizer {
    public struct Failure: Error, Equatable {}

    private struct State {
        var entered = 0
        var isOpen: Bool
        var waiting: [CheckedContinuation<Void, Never>] = []
        var failing = false
    }

    private let state: Mutex<State>

    public init(open: Bool = false) {
        state = Mutex(State(isOpen: open))
    }

    /// Calls that reached the synthesizer (each one an upstream call that would be billed).
    public var entered: Int { state.withLock { $0.entered } }

    public func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

    /// Lets every waiting and future call through.
    public func open() {
        let waiting = state.withLock { state in
            state.isOpen = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    public func synthesize(_ spec: SpeechSpec) async throws -> Generation {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state in
                state.entered += 1
                if state.isOpen { return true }
                state.waiting.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
        if state.withLock({ $0.failing }) { throw Failure() }
        let seed = UInt8(truncatingIfNeeded: spec.contentHash.bytes[0])
        return Generation(mp3: try InspectedMP3(SilentMP3.make(frames: 8, seed: seed)), requestId: nil,
                          characterCost: spec.text.unicodeScalars.count, attempts: 1)
    }
}
