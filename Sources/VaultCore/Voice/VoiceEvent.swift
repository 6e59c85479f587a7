public import Foundation

/// What happened to one request for speech, told to sinks (the usage tally, the ledger, metrics) instead of
/// travelling back through return values and headers. The core decides what happened; sinks decide what to
/// keep.
public enum VoiceEvent: Sendable {
    /// Answered from the index: nothing was paid, `characters` were saved.
    case hit(Usage)
    /// This request led a generation that was published.
    case generated(Usage, Generated)
    /// Answered by a generation another request led (it joined that live generation).
    case joined(Usage)
    /// The request failed; `error` is what the service threw.
    case failed(VoiceRequest.Who, error: any Error)
    /// Audio was deleted (an operator's delete or purge).
    case deleted(Deletion)

    /// What a deletion was and what it removed.
    public struct Deletion: Sendable, Equatable {
        /// `delete audio`, `delete book`, `delete book reference`, `purge` or `evict` (the disk quota).
        public var action: String
        public var contentHash: String?
        public var bookId: String?
        public var detail: String?
        public var removal = Removal()
        public static let evictAction = "evict"

        public init(action: String, contentHash: String?, bookId: String?, detail: String?) {
            self.action = action
            self.contentHash = contentHash
            self.bookId = bookId
            self.detail = detail
        }
    }

    /// Facts every answered request has.
    public struct Usage: Sendable, Equatable {
        public let hash: SHA256Digest
        public let who: VoiceRequest.Who
        public let voiceId: String
        public let modelId: String
        /// Unicode scalars of the text: what a generation costs, or what a hit saved.
        public let characters: Int
    }

    /// Facts only a generation has.
    public struct Generated: Sendable, Equatable {
        /// What ElevenLabs billed (`character-cost`), when it said.
        public let characterCost: Int?
        public let upstreamRequestId: String?
        public let upstreamAttempts: Int
        public let timings: VoiceService.Timings
    }
}

/// Where `VoiceService` reports events. `record` must not block or fail: a sink that writes somewhere slow
/// queues the event and returns.
public protocol VoiceEventSink: Sendable {
    func record(_ event: VoiceEvent)
}

/// Several sinks as one.
public struct VoiceEventSinks: VoiceEventSink {
    public let sinks: [any VoiceEventSink]
    public init(_ sinks: [any VoiceEventSink]) { self.sinks = sinks }
    public func record(_ event: VoiceEvent) {
        for sink in sinks { sink.record(event) }
    }
}
