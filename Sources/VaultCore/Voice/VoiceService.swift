import Foundation

/// Answers "give me this speech for this book": from the index on a hit, through one generation per content
/// hash on a miss. No HTTP here; VaultServer's routes translate.
public final class VoiceService: Sendable {
    public let store: AssetStore
    public let synthesizer: (any SpeechSynthesizer)?
    public let budget: CharacterBudget
    /// Where every answered or failed request is reported (tally, ledger, metrics).
    public let events: any VoiceEventSink
    let flights = SingleFlight<SHA256Digest, GeneratedAsset>()

    public init(store: AssetStore, synthesizer: (any SpeechSynthesizer)?, dailyCharacterBudget: Int?,
                events: any VoiceEventSink = VoiceEventSinks([])) {
        self.store = store
        self.synthesizer = synthesizer
        self.budget = CharacterBudget(dailyLimit: dailyCharacterBudget, index: store.index)
        self.events = events
    }

    /// Timings of a miss, for the request log.
    public struct Timings: Sendable, Equatable {
        public var upstreamSeconds: Double = 0
        public var writeSeconds: Double = 0
        /// The part of `writeSeconds` spent in fsync.
        public var fsyncSeconds: Double = 0
        public var indexSeconds: Double = 0
    }

    public struct Outcome: Sendable {
        public let record: AssetRecord
        public let hash: SHA256Digest
        /// True when no generation was needed for this request.
        public let cached: Bool
        /// Set on the request that led a generation.
        public let timings: Timings?
        public let upstreamAttempts: Int?
    }

    struct GeneratedAsset: Sendable {
        let record: AssetRecord
        let timings: Timings
        let attempts: Int
        /// False when the flight found the asset already published on its re-check.
        let generated: Bool
    }

    /// How many times a request starts over when the asset it found vanished before it could be linked into
    /// the book (another client removed the last other reference in between). The second pass sees no record
    /// and generates; a third is for a removal racing that generation's own link.
    static let attemptsWhenAssetVanishes = 3

    public func voice(_ requested: SpeechSpec, bookId: StorageIdentifier) async throws -> Outcome {
        try await voice(VoiceRequest(spec: requested, who: .init(bookId: bookId)))
    }

    public func voice(_ request: VoiceRequest) async throws -> Outcome {
        let spec = synthesizer?.resolve(request.spec) ?? request.spec
        let hash = spec.contentHash
        var attempt = 1
        while true {
            do {
                let outcome = try await voiceOnce(spec, hash: hash, who: request.who)
                report(outcome, spec: spec, who: request.who)
                return outcome
            } catch StoreError.notFound where attempt < Self.attemptsWhenAssetVanishes {
                // A normal client action (removing a book's reference) must never fail another client's request.
                attempt += 1
            } catch {
                events.record(.failed(request.who, error: error))
                throw error
            }
        }
    }

    private func report(_ outcome: Outcome, spec: SpeechSpec, who: VoiceRequest.Who) {
        let usage = VoiceEvent.Usage(hash: outcome.hash, who: who, voiceId: spec.voiceId, modelId: spec.modelId,
                                     characters: spec.text.unicodeScalars.count)
        if outcome.cached {
            events.record(.hit(usage))
        } else if let timings = outcome.timings {
            events.record(.generated(usage, .init(
                characterCost: outcome.record.characterCost, upstreamRequestId: outcome.record.upstreamRequestId,
                upstreamAttempts: outcome.upstreamAttempts ?? 1, timings: timings)))
        } else {
            events.record(.joined(usage))
        }
    }

    private func voiceOnce(_ spec: SpeechSpec, hash: SHA256Digest, who: VoiceRequest.Who) async throws -> Outcome {
        let bookId = who.bookId
        let client = who.clientKeyId.map { CharacterBudget.Client(keyId: $0, dailyLimit: who.clientDailyLimit) }
        if let record = try store.record(for: hash) {
            return Outcome(record: try await linked(record, hash: hash, to: bookId), hash: hash, cached: true,
                           timings: nil, upstreamAttempts: nil)
        }
        guard let synthesizer else { throw VoiceError.noSynthesizer }
        let store = store
        let budget = budget
        let (asset, role) = try await flights.run(hash) {
            // Re-check inside the flight: a flight for this hash may have finished just before this one began.
            if let record = try store.record(for: hash) {
                return GeneratedAsset(record: record, timings: Timings(), attempts: 0, generated: false)
            }
            // Reserved by the flight's leader only, on its client key: followers share its generation and cost nothing.
            let reservation = try await BlockingIO.run { try budget.reserve(spec.text.unicodeScalars.count, for: client) }
            let clock = ContinuousClock()
            let start = clock.now
            let generation: Generation
            do {
                generation = try await synthesizer.synthesize(spec)
            } catch {
                try? await BlockingIO.run { try budget.release(reservation) }
                throw error
            }
            let upstream = clock.now - start
            try await BlockingIO.run {
                try budget.settle(reservation, actualCost: generation.characterCost ?? reservation.characters)
            }
            let metadata = AssetMetadata(spec: spec, upstreamRequestId: generation.requestId,
                                         characterCost: generation.characterCost)
            let (record, publishTimings) = try await BlockingIO.run {
                try store.publishTimed(generation.mp3, hash: hash, bookId: bookId, metadata: metadata,
                                       alignment: generation.alignment)
            }
            var timings = Timings()
            timings.upstreamSeconds = upstream.seconds
            timings.writeSeconds = publishTimings.writeSeconds
            timings.fsyncSeconds = publishTimings.fsyncSeconds
            timings.indexSeconds = publishTimings.indexSeconds
            return GeneratedAsset(record: record, timings: timings, attempts: generation.attempts, generated: true)
        }
        let record = try await linked(asset.record, hash: hash, to: bookId)
        return Outcome(record: record, hash: hash, cached: !asset.generated,
                       timings: role == .leader && asset.generated ? asset.timings : nil,
                       upstreamAttempts: role == .leader ? asset.attempts : nil)
    }

    /// The record with `bookId` linked in (a hard link and an index update when it is new to the book).
    private func linked(_ record: AssetRecord, hash: SHA256Digest, to bookId: StorageIdentifier) async throws -> AssetRecord {
        if record.bookIds.contains(bookId.value) { return record }
        let store = store
        return try await BlockingIO.run { try store.link(hash, to: bookId) }
    }

    /// Generations in progress (for health and metrics).
    public var flightsInProgress: Int {
        get async { await flights.inFlight }
    }

    /// Generations in progress with their waiters and age, oldest first: the operator's view of what the old
    /// design's Redis locks were.
    public func flightSnapshot() async -> [Flight] {
        await flights.snapshot().map { Flight(hash: $0.key, waiters: $0.waiters, ageSeconds: $0.ageSeconds) }
    }

    public struct Flight: Sendable, Equatable {
        public let hash: SHA256Digest
        /// Requests waiting for it, the one that started it included.
        public let waiters: Int
        public let ageSeconds: Double
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
