public import Foundation
import Synchronization

/// Counts of what the voice service did since the process started, by voice and by book: what
/// `/admin/stats` shows before the ledger has history, and what metrics read.
public final class UsageTally: VoiceEventSink {
    public struct Counts: Sendable, Equatable {
        /// Requests answered from the index.
        public var hits = 0
        /// Requests that found no audio: each led a generation or joined one in flight.
        public var misses = 0
        public var generations = 0
        public var failures = 0
        public var charactersGenerated = 0
        public var charactersSaved = 0
        public var hitsByVoice: [String: Int] = [:]
        public var hitsByBook: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())
    /// Upstream times of recent generations (seconds, with when they ended), at most `latencyWindow` old and
    /// `latencySamples` many: enough for percentiles, bounded whatever the traffic.
    private let latencies = Mutex<[(at: ContinuousClock.Instant, seconds: Double)]>([])
    static let latencyWindow = Duration.seconds(3600)
    static let latencySamples = 4096
    public let startedAt = Date()

    public init() {}

    /// Upstream latency percentiles (p50, p95, p99, in seconds) of the generations in the last hour; nil
    /// when there were none.
    public func upstreamLatency(now: ContinuousClock.Instant = .now) -> (count: Int, p50: Double, p95: Double, p99: Double)? {
        let recent = latencies.withLock { samples in
            samples.removeAll { now - $0.at > Self.latencyWindow }
            return samples.map(\.seconds)
        }
        guard !recent.isEmpty else { return nil }
        let sorted = recent.sorted()
        func percentile(_ p: Double) -> Double {
            sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }
        return (sorted.count, percentile(0.5), percentile(0.95), percentile(0.99))
    }

    public var snapshot: Counts { counts.withLock { $0 } }

    public func record(_ event: VoiceEvent) {
        counts.withLock { counts in
            switch event {
            case let .hit(usage):
                counts.hits += 1
                counts.charactersSaved += usage.characters
                counts.hitsByVoice[usage.voiceId, default: 0] += 1
                counts.hitsByBook[usage.who.bookId.value, default: 0] += 1
            case let .joined(usage):
                // A MISS to its client (the audio was not there when it asked), but paid by another request.
                counts.misses += 1
                counts.charactersSaved += usage.characters
            case let .generated(usage, generated):
                latencies.withLock { samples in
                    if samples.count == Self.latencySamples { samples.removeFirst(samples.count / 4) }
                    samples.append((.now, generated.timings.upstreamSeconds))
                }
                counts.misses += 1
                counts.generations += 1
                counts.charactersGenerated += generated.characterCost ?? usage.characters
            case .failed:
                counts.failures += 1
            }
        }
    }
}
