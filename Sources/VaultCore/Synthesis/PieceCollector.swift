import Synchronization

/// A streamed generation's pieces gathered into the whole (audio joined, timings merged), for the callers that
/// want the whole at once (`synthesize` over `stream`). A piece without timings carries no characters (trailing
/// frames, or upstream's `alignment: null`); the whole has timings when any piece had them.
public final class PieceCollector: Sendable {
    private let state = Mutex<(audio: [UInt8], alignment: SpeechAlignment?)>(([], nil))

    public init() {}

    public func add(_ piece: SynthesisPiece) {
        state.withLock { state in
            state.audio += piece.audio
            if let part = piece.alignment {
                state.alignment = state.alignment ?? SpeechAlignment()
                state.alignment?.append(part, offsetMilliseconds: 0)
            }
        }
    }

    /// Drops everything gathered (a retried attempt starts over).
    public func reset() {
        state.withLock { $0 = ([], nil) }
    }

    public var audio: [UInt8] { state.withLock { $0.audio } }
    public var alignment: SpeechAlignment? { state.withLock { $0.alignment } }
}
