import Synchronization
public import VaultCore

/// A synthesizer for in-process tests: every call waits at a gate the test opens, so tests about
/// concurrency wait on conditions instead of sleeping. It counts calls and can be told to fail.
public final class GatedSynthesizer: SpeechSynthesizer {
    public struct Failure: Error, Equatable {}

    private let gate: Gate
    private let failing = Mutex(false)

    public init(open: Bool = false) {
        gate = Gate(open: open)
    }

    /// Calls that reached the synthesizer (each one an upstream call that would be billed).
    public var entered: Int { gate.arrived }

    public func setFailing(_ failing: Bool) { self.failing.withLock { $0 = failing } }

    /// Lets every waiting and future call through.
    public func open() { gate.open() }

    public func synthesize(_ spec: SpeechSpec) async throws -> Generation {
        await gate.wait()
        if failing.withLock({ $0 }) { throw Failure() }
        let seed = UInt8(truncatingIfNeeded: spec.contentHash.bytes[0])
        return Generation(
            mp3: try InspectedMP3(SilentMP3.make(frames: 8, seed: seed)), requestId: nil,
            characterCost: spec.text.unicodeScalars.count, attempts: 1)
    }
}
