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
            case .deleted:
                break
            }
        }
    }
}

extension UsageTally {
    /// The counts in the ledger's shape, for a server running without a ledger (its file could not be made).
    public func report() -> LedgerReport {
        let counts = snapshot
        var report = LedgerReport()
        report.hits = counts.hits
        report.generations = counts.generations
        report.joined = counts.misses - counts.generations
        report.failures = counts.failures
        report.charactersGenerated = counts.charactersGenerated
        report.charactersSaved = counts.charactersSaved
        func top(_ byId: [String: Int]) -> [LedgerReport.Count] {
            byId.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10).map {
                .init(id: $0.key, hits: $0.value)
            }
        }
        report.topVoices = top(counts.hitsByVoice)
        report.topBooks = top(counts.hitsByBook)
        report.upstreamSecondsLastHour = latencies.withLock { samples in
            let now = ContinuousClock.now
            return samples.filter { now - $0.at <= Self.latencyWindow }.map(\.seconds).sorted()
        }
        return report
    }
}
