import Foundation
import Synchronization

/// Answers "give me this speech for this book": from the index on a hit, through one generation per content
/// hash on a miss. No HTTP here; VaultServer's routes translate.
public final class VoiceService: Sendable {
    public let store: AssetStore
    public let synthesizer: (any SpeechSynthesizer)?
    public let budget: CharacterBudget
    /// Where every answered or failed request is reported (tally, ledger, metrics).
    public let events: any VoiceEventSink
    /// When each asset was last heard, for the disk quota: every answered request (hit, generation, or a join
    /// of one) is a hearing; downloads add theirs through `DownloadRoutes`.
    public let heard: HeardLog
    /// The disk quota's evictions, reported to the same sinks as every other deletion. On a cluster node, the
    /// bound of its own cache (`VOICEVAULT_BLOB_CACHE_MIB`), whose evictions are no deletions: nothing is reported,
    /// and every time it flushes goes on to the cluster's catalog.
    public let eviction: AssetEviction
    /// On a cluster node, the cluster's quota (`VOICEVAULT_MAX_STORE_BYTES` over the whole catalog).
    public let clusterQuota: ClusterQuota?
    /// On a cluster node, the cluster the local store caches (nil on one machine): a local miss asks it before
    /// generating, and a generation takes the cluster's claim and is shared before it is published here.
    public let cluster: (any ClusterStore)?
    /// How long after a generation its upstream request id is sent to stitch to it (`StitchingContext`).
    public let stitchingWindowSeconds: Double
    let registry = GenerationRegistry()

    /// - Parameters:
    ///   - spendCounters: where the budgets are counted; nil: the store's own index (one machine).
    ///   - cluster: the cluster this node belongs to, if any.
    public init(
        store: AssetStore, synthesizer: (any SpeechSynthesizer)?, dailyCharacterBudget: Int?,
        events: any VoiceEventSink = VoiceEventSinks([]), heard: HeardLog = HeardLog(),
        spendCounters: (any SpendCounters)? = nil, cluster: (any ClusterStore)? = nil,
        stitchingWindowSeconds: Double = StitchingContext.defaultWindowSeconds
    ) {
        self.store = store
        self.stitchingWindowSeconds = stitchingWindowSeconds
        self.synthesizer = synthesizer
        self.cluster = cluster
        self.budget = CharacterBudget(
            dailyLimit: dailyCharacterBudget, counters: spendCounters ?? EmbeddedSpendCounters(index: store.index))
        self.heard = heard
        self.events = VoiceEventSinks([events, HeardRecorder(log: heard)])
        if let cluster {
            let backlog = HeardLog()
            eviction = AssetEviction(store: store, heard: heard, events: VoiceEventSinks([]), backlog: backlog)
            clusterQuota = ClusterQuota(cluster: cluster, local: store, backlog: backlog, events: events)
        } else {
            eviction = AssetEviction(store: store, heard: heard, events: events)
            clusterQuota = nil
        }
    }

    /// Timings of a miss, for the request log.
    public struct Timings: Sendable, Equatable {
        public var upstreamSeconds: Double = 0
        /// Until the first audio arrived from upstream.
        public var firstByteSeconds: Double?
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

    /// How a request is answered: from the index, or by a generation in progress that its audio can be read
    /// from while it is made, with the outcome once it is over (linked into the request's book, reported).
    public enum Answer: Sendable {
        case stored(Outcome)
        /// `leads`: this request started the generation (and pays for it).
        case live(LiveGeneration, leads: Bool, outcome: Task<Outcome, any Error>)

        /// The outcome, once there is one: at once when stored, when its generation is published when live.
        public var outcome: Outcome {
            get async throws {
                switch self {
                case let .stored(outcome): outcome
                case let .live(_, _, outcome): try await outcome.value
                }
            }
        }
    }

    /// How many times a request starts over when the asset it found vanished before it could be linked into
    /// the book (another client removed the last other reference in between). The second pass sees no record
    /// and generates; a third is for a removal racing that generation's own link.
    static let attemptsWhenAssetVanishes = 3

    public func voice(_ requested: SpeechSpec, bookId: StorageIdentifier) async throws -> Outcome {
        try await voice(VoiceRequest(spec: requested, who: .init(bookId: bookId)))
    }

    /// The outcome, once there is one: a hit at once, a miss when its generation is published. `identity` as
    /// for `plainHit`.
    public func voice(_ request: VoiceRequest, identity: Identity? = nil) async throws -> Outcome {
        try await answer(request, identity: identity).outcome
    }

    /// A plain hit, decided without `async` (only a miss may generate, and only linking an asset into another
    /// book writes): the index already has the audio in the request's book, so `answer` would return
    /// `.stored` with this outcome without linking. Nil otherwise; `answer` then decides. Reports nothing:
    /// `reportHit` does, once the hit is answered (the fast path checks the caller's rate in between).
    ///
    /// `identity`, when given, must be `identity(of: request.spec)` from this service, remembered from an
    /// earlier request with the same body: it spares the canonical encoding and the hash.
    public func plainHit(_ request: VoiceRequest, identity known: Identity? = nil) throws -> StoredHit? {
        let (spec, hash) = (known ?? identity(of: request.spec)).pair
        let link = request.link
        let record: AssetRecord
        if link.isEmpty {
            guard let found = try store.record(for: hash) else { return nil }
            record = found
        } else {
            // A request that says where its audio stands in the book is a plain hit only when the link says so already.
            guard let found = try store.index.record(for: hash, linkIn: request.who.bookId, saying: link), found.says else { return nil }
            record = found.record
        }
        guard record.bookIds.contains(request.who.bookId.value) else { return nil }
        return StoredHit(
            outcome: Outcome(record: record, hash: hash, cached: true, timings: nil, upstreamAttempts: nil),
            spec: spec)
    }

    /// The spec this service would generate for a request's spec (the synthesizer's resolution) and its
    /// content hash: a pure function of the spec, for this service's lifetime, so a caller that remembers
    /// request bodies may remember it with them.
    public struct Identity: Sendable {
        public let spec: SpeechSpec
        public let hash: SHA256Digest
        var pair: (SpeechSpec, SHA256Digest) { (spec, hash) }
    }

    public func identity(of spec: SpeechSpec) -> Identity {
        let resolved = synthesizer?.resolve(spec) ?? spec
        return Identity(spec: resolved, hash: resolved.contentHash)
    }

    /// A hit found by `plainHit`, with the resolved spec its usage is reported under.
    public struct StoredHit: Sendable {
        public let outcome: Outcome
        let spec: SpeechSpec
    }

    /// Counts an answered hit in the usage events (metrics, the ledger), as `answer` does for its own.
    public func reportHit(_ hit: StoredHit, for request: VoiceRequest) {
        report(hit.outcome, spec: hit.spec, who: request.who)
    }

    /// A hit, or the generation to follow. The outcome of a live answer is settled by a task of its own, so a
    /// requester that stops listening changes nothing: the audio is still published, linked and accounted.
    /// `identity` as for `plainHit`.
    public func answer(_ request: VoiceRequest, identity known: Identity? = nil, attempt: Int = 1) async throws -> Answer {
        let resolved = known ?? identity(of: request.spec)
        let (spec, hash) = resolved.pair
        do {
            if let record = try await storedRecord(hash) {
                let outcome = Outcome(
                    record: try await linked(record, hash: hash, to: request.who.bookId), hash: hash,
                    cached: true, timings: nil, upstreamAttempts: nil)
                try await describeLink(hash, for: request)
                report(outcome, spec: spec, who: request.who)
                return .stored(outcome)
            }
        } catch StoreError.notFound where attempt < Self.attemptsWhenAssetVanishes {
            // A normal client action (removing a book's reference) must never fail another client's request.
            return try await answer(request, identity: resolved, attempt: attempt + 1)
        } catch {
            events.record(.failed(request.who, error: error))
            throw error
        }
        guard let synthesizer else {
            events.record(.failed(request.who, error: VoiceError.noSynthesizer))
            throw VoiceError.noSynthesizer
        }
        let (generation, role) = registry.join(hash) { generation in
            Task { await self.generate(generation, spec: spec, who: request.who, synthesizer: synthesizer) }
        }
        let outcome = Task { () async throws -> Outcome in
            do {
                let completion = try await generation.completion()
                let record = try await linked(completion.record, hash: hash, to: request.who.bookId)
                try await describeLink(hash, for: request)
                let outcome = Outcome(
                    record: record, hash: hash, cached: !completion.generated,
                    timings: role == .leader && completion.generated ? completion.timings : nil,
                    upstreamAttempts: role == .leader ? completion.attempts : nil)
                report(outcome, spec: spec, who: request.who)
                return outcome
            } catch StoreError.notFound where attempt < Self.attemptsWhenAssetVanishes {
                return try await answer(request, identity: resolved, attempt: attempt + 1).outcome
            } catch is ClusterRelayError where attempt < Self.attemptsWhenAssetVanishes {
                // Another node's generation, relayed here, broke off after a listener here heard part of it.
                // That listener's stream is cut; a request waiting for the whole heard nothing, so it takes a
                // new turn (this node generates, or follows whoever does now).
                return try await answer(request, identity: resolved, attempt: attempt + 1).outcome
            } catch {
                events.record(.failed(request.who, error: error))
                throw error
            }
        }
        return .live(generation, leads: role == .leader, outcome: outcome)
    }

    /// How the upstream call names a stitched request's neighbours, from their records and timings now.
    func stitchingContext(_ stitching: RequestStitching, model: String) async throws -> StitchingContext {
        var neighbours = [SHA256Digest: StitchingContext.Neighbour]()
        for hash in stitching.assets {
            guard let (record, alignment) = try await recordWithAlignment(for: hash) else {
                throw VoiceError.stitchedAssetNotFound(hash: hash.hex)
            }
            neighbours[hash] = .init(
                upstreamRequestIds: record.upstreamRequestId, modelId: record.modelId, createdAt: record.createdAt,
                text: alignment.map(\.text))
        }
        func side(_ hashes: [SHA256Digest]) -> [(SHA256Digest, StitchingContext.Neighbour)] {
            hashes.compactMap { hash in neighbours[hash].map { (hash, $0) } }
        }
        do {
            return try StitchingContext.resolve(
                previous: side(stitching.previousAssets), next: side(stitching.nextAssets), model: model,
                nowSeconds: Date().timeIntervalSince1970,
                windowSeconds: stitchingWindowSeconds)
        } catch {
            switch error {
            case let .neighbourWithoutText(hash): throw VoiceError.stitchedAssetWithoutText(hash: hash.hex)
            }
        }
    }

    /// The record and its timings as the local index has them; on a cluster node that does not hold the asset
    /// (or not in `book`), brought in from the cluster first. Read off the cooperative pool: a chapter's timings
    /// are a few hundred kilobytes to decode.
    public func recordWithAlignment(for hash: SHA256Digest, inBook book: String? = nil) async throws -> (
        record: AssetRecord, alignment: SpeechAlignment?
    )? {
        let index = store.index
        let found = try await BlockingIO.run { try index.recordWithAlignment(for: hash) }
        if let found, book.map(found.record.bookIds.contains) ?? true { return found }
        guard let cluster, try await cluster.bringIn(hash) != nil else { return found }
        return try await BlockingIO.run { try index.recordWithAlignment(for: hash) }
    }

    /// The asset's record from the local index, else (on a cluster node) brought in from the cluster.
    public func storedRecord(_ hash: SHA256Digest) async throws -> AssetRecord? {
        if let record = try store.record(for: hash) { return record }
        return try await cluster?.bringIn(hash)
    }

    /// Records what a request says about its audio's place in the book on the book's link (the cluster's, then
    /// this node's copy), when it says something the link does not say yet.
    func describeLink(_ hash: SHA256Digest, for request: VoiceRequest) async throws {
        let link = request.link
        guard !link.isEmpty else { return }
        let (index, book) = (store.index, request.who.bookId)
        if let cluster { _ = try await cluster.describe(hash, in: book, as: link) }
        try await BlockingIO.run {
            if try !index.linkSays(link, of: hash, in: book) { try index.describe(hash, in: book, as: link) }
        }
    }

    /// Every asset a book links with what the book says about each: the cluster's on a cluster node (this node
    /// holds copies of some), else the index's.
    public func bookEntries(_ bookId: StorageIdentifier) async throws -> [BookEntry] {
        if let cluster { return try await cluster.bookEntries(bookId) }
        let index = store.index
        return try await BlockingIO.run { try index.chapters(ofBook: bookId) }
    }

    /// `storedRecord` for a content hash or, failing that, a legacy key's alias (`LegacyAlias`): the local
    /// index first, then the cluster's asset, then the cluster's alias.
    public func storedRecord(forHashOrAlias key: SHA256Digest) async throws -> AssetRecord? {
        let store = store
        if let record = try await BlockingIO.run({ try store.index.record(forHashOrAlias: key) }) { return record }
        guard let cluster else { return nil }
        if let record = try await cluster.bringIn(key) { return record }
        guard let target = try await cluster.aliasTarget(key) else { return nil }
        return try await storedRecord(target)
    }

    private func report(_ outcome: Outcome, spec: SpeechSpec, who: VoiceRequest.Who) {
        let usage = VoiceEvent.Usage(
            hash: outcome.hash, who: who, voiceId: spec.voiceId, modelId: spec.modelId,
            characters: spec.characterCount)
        if outcome.cached {
            events.record(.hit(usage))
        } else if let timings = outcome.timings {
            events.record(
                .generated(
                    usage,
                    .init(
                        characterCost: outcome.record.characterCost, upstreamRequestId: outcome.record.upstreamRequestId,
                        upstreamAttempts: outcome.upstreamAttempts ?? 1, timings: timings)))
        } else {
            events.record(.joined(usage))
        }
    }

    /// The owner's work for one generation: stage every piece as it arrives, check the whole, publish it in the
    /// crash-safe order into the leader's book, and end the generation for everyone. Runs in its own task.
    private func generate(
        _ generation: LiveGeneration, spec: SpeechSpec, who: VoiceRequest.Who,
        synthesizer: any SpeechSynthesizer
    ) async {
        let store = store
        let budget = budget
        let hash = generation.hash
        // Forgotten once it has ended, whichever way: new requests then read the index.
        defer { registry.remove(generation) }
        var reservation: CharacterBudget.Reservation?
        var staged: StagedAudio?
        var endClaim: (@Sendable () async -> Void)?
        do {
            // Re-check: a generation for this hash may have been published just before this one was registered.
            if let record = try await BlockingIO.run({ try store.record(for: hash) }) {
                generation.end(.success(.init(record: record, timings: Timings(), attempts: 0, generated: false)))
                return
            }
            if let cluster {
                // One generation in the whole cluster: this node's turn, or the record another node shared.
                var turns = ClusterTurns()
                taking: while true {
                    switch try await turns.next(hash, from: cluster) {
                    case let .published(record):
                        generation.end(.success(.init(record: record, timings: Timings(), attempts: 0, generated: false)))
                        return
                    case let .generate(end):
                        endClaim = end
                        break taking
                    case let .relay(holder):
                        switch try await relay(generation, format: spec.outputFormat, from: holder, cluster: cluster) {
                        case let .published(record):
                            generation.end(.success(.init(record: record, timings: Timings(), attempts: 0, generated: false)))
                            return
                        case .refused:
                            turns.relaying = false
                        case .nothingHeard:
                            try await turns.wait()
                        }
                    }
                }
                // Nothing is paid for that could not be stored.
                try await cluster.checkWritable()
            }
            // A stitched request's neighbours, named as upstream takes them now: resolved once, by the generation's
            // owner, before anything is reserved (an unknown neighbour fails the generation for every requester).
            var speaking = spec
            if !spec.stitching.isEmpty { speaking.upstreamContext = try await stitchingContext(spec.stitching, model: spec.modelId) }
            let client = who.clientKeyId.map { CharacterBudget.Client(keyId: $0, dailyLimit: who.clientDailyLimit) }
            // Reserved by the leader only, on its client key: followers share its generation and cost nothing.
            reservation = try await budget.reserve(spec.characterCount, for: client)
            let file = try await BlockingIO.run { try store.stage(hash, format: spec.outputFormat) }
            staged = file
            generation.attach(file)
            let clock = ContinuousClock()
            let start = clock.now
            let firstByte = Mutex<Duration?>(nil)
            let receipt = try await synthesizer.stream(
                speaking,
                restart: {
                    // Nobody heard anything yet (an /api/voice miss waits for the whole): start the file over.
                    guard generation.restartIfUnheard() else { return false }
                    do { try await BlockingIO.run { try file.restart() } } catch { return false }
                    return true
                }
            ) { piece in
                try await BlockingIO.run { try file.append(piece.audio) }
                firstByte.withLock { if $0 == nil { $0 = clock.now - start } }
                generation.appended(end: file.size, alignment: piece.alignment)
            }
            let upstream = clock.now - start
            let sealed = try await BlockingIO.run { try file.seal() }
            if let held = reservation {
                try await budget.settle(held, actualCost: receipt.characterCost ?? held.characters)
                reservation = nil
            }
            let metadata = AssetMetadata(
                spec: spec, upstreamRequestId: receipt.requestId, characterCost: receipt.characterCost,
                upstreamHistoryItemId: receipt.historyItemId)
            let alignment = generation.alignment
            let now = Date()
            if let cluster {
                // The cluster first: the local store is never ahead of it.
                let shared = AssetStore.newRecord(
                    hash: hash, bookId: who.bookId, metadata: metadata, size: sealed.size, sha256: sealed.sha256,
                    duration: sealed.durationSeconds, now: now)
                try await Self.share(shared, alignment: alignment, audioPath: sealed.path, with: cluster)
            }
            let (record, publishTimings) = try await BlockingIO.run {
                try store.publishStaged(sealed, hash: hash, bookId: who.bookId, metadata: metadata, alignment: alignment, now: now)
            }
            await endClaim?()
            endClaim = nil
            var timings = Timings()
            timings.upstreamSeconds = upstream.seconds
            timings.firstByteSeconds = firstByte.withLock { $0 }?.seconds
            timings.writeSeconds = publishTimings.writeSeconds
            timings.fsyncSeconds = publishTimings.fsyncSeconds
            timings.indexSeconds = publishTimings.indexSeconds
            generation.end(.success(.init(record: record, timings: timings, attempts: receipt.attempts, generated: true)))
        } catch {
            if let held = reservation { try? await budget.release(held) }
            staged?.discard()
            await endClaim?()
            generation.end(.failure(error))
        }
    }

    /// How long a paid generation waits for the cluster before it is given up: the pauses between its tries to
    /// share it. A blob store or catalog that blinks (a restart, a failover) within them loses nothing.
    static let sharePauses: [Duration] = [.milliseconds(250), .seconds(1), .seconds(3)]

    /// Shares a generation that was paid for, trying again while the cluster answers that it is unavailable
    /// (its stable errors); any other failure, or the last, is the generation's. Sharing is idempotent: the blob
    /// is content-addressed and the record's publication is first-writer-wins.
    static func share(
        _ record: AssetRecord, alignment: SpeechAlignment?, audioPath: String, with cluster: any ClusterStore,
        pauses: [Duration] = sharePauses
    ) async throws {
        var remaining = pauses[...]
        while true {
            do {
                return try await cluster.share(record, alignment: alignment, audioPath: audioPath)
            } catch let error as ClusterStoreError {
                if case .notYetOnClusterNodes = error { throw error }
                guard let pause = remaining.popFirst() else { throw error }
                try await Task.sleep(for: pause)
            }
        }
    }

    /// The record with `bookId` linked in (a hard link and an index update when it is new to the book).
    private func linked(_ record: AssetRecord, hash: SHA256Digest, to bookId: StorageIdentifier) async throws -> AssetRecord {
        if record.bookIds.contains(bookId.value) { return record }
        // The cluster's catalog first: the local store is never ahead of it.
        try await cluster?.link(hash, to: bookId)
        let store = store
        return try await BlockingIO.run { try store.link(hash, to: bookId) }
    }

    /// The generation of `hash` in progress on this node, for another node to relay (nil when none is).
    public func liveGeneration(of hash: SHA256Digest) -> LiveGeneration? { registry.running(hash) }

    /// Generations in progress (for health and metrics).
    public var flightsInProgress: Int {
        get async { registry.all.count }
    }

    /// Generations in progress with their waiters and age, oldest first: the operator's view of what the old
    /// design's Redis locks were.
    public func flightSnapshot() async -> [Flight] {
        let now = ContinuousClock.now
        return registry.all.map { generation in
            Flight(hash: generation.hash, waiters: generation.requesters, ageSeconds: (now - generation.startedAt).seconds)
        }.sorted { $0.ageSeconds > $1.ageSeconds }
    }

    public struct Flight: Sendable, Equatable {
        public let hash: SHA256Digest
        /// Requests waiting for it, the one that started it included.
        public let waiters: Int
        public let ageSeconds: Double
    }
}
