public import VaultCore
import Synchronization

/// What happened in one request, as its handler learned it: who called, which audio, hit or miss, where a
/// generation spent its time. The request log reads it after the handler returns (as metrics and the ledger
/// will), so facts travel as values, never as header text to be parsed back.
///
/// A reference type on purpose: Hummingbird passes the request context by value down the middleware chain,
/// so a handler's copy cannot reach the log middleware's; every copy of one context shares this one object.
public final class Exchange: Sendable {
    public struct Facts: Sendable, Equatable {
        public var caller: Caller = .anonymous
        public var contentHash: SHA256Digest?
        public var cache: CacheOutcome?
        /// Set on the request that led a generation.
        public var timings: VoiceService.Timings?
        /// Characters of text the request was about (spent on a miss, saved on a hit).
        public var characters: Int?
    }

    public enum CacheOutcome: String, Sendable {
        case hit = "HIT"
        case miss = "MISS"
    }

    private let state = Mutex(Facts())

    public init() {}

    public var facts: Facts { state.withLock { $0 } }

    public var caller: Caller {
        get { state.withLock { $0.caller } }
    }

    public func update(_ change: (inout Facts) -> Void) {
        state.withLock { change(&$0) }
    }
}
