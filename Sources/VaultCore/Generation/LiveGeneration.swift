import Synchronization

/// One generation in progress, owned by the server, not by whoever asked first: its audio staged on disk as it
/// arrives (`StagedAudio`), and every requester of its hash, the first and any that join later, reading from
/// byte 0 of what is staged and then following live (`pieces()`). It ends once, published whole or failed;
/// a listener that goes away cancels nothing.
public final class LiveGeneration: Sendable {
    public let hash: SHA256Digest
    let startedAt = ContinuousClock.now

    /// How the generation ended for its requesters.
    public struct Completion: Sendable {
        public let record: AssetRecord
        public let timings: VoiceService.Timings
        public let attempts: Int
        /// False when the asset was found already published on the owner's re-check.
        public let generated: Bool
    }

    struct Piece {
        /// Staged bytes up to here belong to this piece.
        let end: Int
        let alignment: SpeechAlignment?
    }

    struct State {
        var staged: StagedAudio?
        var pieces: [Piece] = []
        var ended: Result<Completion, any Error>?
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// Requests that asked for it, the one that started it included.
        var requesters = 1
        /// Whether any listener has taken a piece: from then on, what was delivered cannot be started over.
        var heard = false
        /// How many times delivery started over (`restartIfUnheard`), so a relay knows to say so.
        var restarts = 0
        /// Relays waiting for a change or for their quiet time to pass, whichever comes first.
        var timedWaiters: [WakeSignal] = []
    }

    /// Everyone waiting for a change: listeners, and relays with a bound on their wait.
    typealias Waiters = (untimed: [CheckedContinuation<Void, Never>], timed: [WakeSignal])

    /// Takes every waiter under the lock, to be woken after it.
    private static func takeWaiters(_ state: inout State) -> Waiters {
        defer {
            state.waiters = []
            state.timedWaiters = []
        }
        return (state.waiters, state.timedWaiters)
    }

    private static func wake(_ waiters: Waiters) {
        for waiter in waiters.untimed { waiter.resume() }
        for waiter in waiters.timed { waiter.signal() }
    }

    let state = Mutex(State())

    init(hash: SHA256Digest) {
        self.hash = hash
    }

    // MARK: The owner's side

    func attach(_ staged: StagedAudio) {
        state.withLock { $0.staged = staged }
    }

    /// The staged file grew to `end` with this piece.
    func appended(end: Int, alignment: SpeechAlignment?) {
        let waiters = state.withLock { state in
            state.pieces.append(Piece(end: end, alignment: alignment))
            return Self.takeWaiters(&state)
        }
        Self.wake(waiters)
    }

    func end(_ result: Result<Completion, any Error>) {
        let waiters = state.withLock { state in
            state.ended = result
            return Self.takeWaiters(&state)
        }
        Self.wake(waiters)
    }

    /// The timings of everything delivered so far, joined (their times already count from the start).
    var alignment: SpeechAlignment? {
        state.withLock { state in
            var merged = SpeechAlignment()
            for piece in state.pieces {
                guard let part = piece.alignment else { continue }
                merged.append(part, offsetMilliseconds: 0)
            }
            return state.pieces.contains { $0.alignment != nil } ? merged : nil
        }
    }

    /// Drops every piece delivered so far so that delivery can start over, unless a listener has taken one;
    /// decided under the lock that listeners take pieces under, so no listener can take a piece being dropped.
    func restartIfUnheard() -> Bool {
        let restarted = state.withLock { state -> Waiters? in
            guard !state.heard else { return nil }
            state.pieces = []
            state.restarts += 1
            return Self.takeWaiters(&state)
        }
        guard let restarted else { return false }
        Self.wake(restarted)
        return true
    }

    func joined() { state.withLock { $0.requesters += 1 } }

    var hasEnded: Bool { state.withLock { $0.ended != nil } }

    var requesters: Int { state.withLock { $0.requesters } }

    // MARK: The requesters' side

    /// Waits for the end, and answers it.
    public func completion() async throws -> Completion {
        while true {
            if let ended = state.withLock({ $0.ended }) { return try ended.get() }
            await waitForChange(seenPieces: Int.max)
        }
    }

    /// Returns once the first audio is staged, or throws the generation's error if it failed first: so an
    /// answer that streams can still fail with a proper status when nothing was said yet. False when the
    /// generation ended with nothing staged here: its audio was published whole (found on the owner's re-check,
    /// or shared by another node of a cluster), and is answered from the store.
    @discardableResult
    public func firstAudio() async throws -> Bool {
        while true {
            let (pieces, ended) = state.withLock { ($0.pieces.count, $0.ended) }
            if pieces > 0 { return true }
            if let ended {
                _ = try ended.get()
                return false
            }
            await waitForChange(seenPieces: 0)
        }
    }

    /// The audio from byte 0, piece by piece as it was delivered, then live until the end. Throws the
    /// generation's error if it fails, even after pieces were read: a stream that ends without error is whole.
    public func pieces() -> AsyncThrowingStream<SynthesisPiece, any Error> {
        let cursor = Mutex((piece: 0, offset: 0))
        return AsyncThrowingStream(unfolding: { [self] in
            while true {
                let (index, offset) = cursor.withLock { ($0.piece, $0.offset) }
                let snapshot = state.withLock { state in
                    let piece = index < state.pieces.count ? state.pieces[index] : nil
                    if piece != nil { state.heard = true }
                    return (piece: piece, staged: state.staged, ended: state.ended)
                }
                if let piece = snapshot.piece, let staged = snapshot.staged {
                    let audio = try await BlockingIO.run { try staged.read(offset: offset, count: piece.end - offset) }
                    cursor.withLock { $0 = (index + 1, piece.end) }
                    return SynthesisPiece(audio: audio, alignment: piece.alignment)
                }
                switch snapshot.ended {
                case .success: return nil
                case let .failure(error): throw error
                case nil: await waitForChange(seenPieces: index)
                }
            }
        })
    }

    /// One step of the generation as a relay to another node sees it.
    public enum RelayStep: Sendable, Equatable {
        case piece(SynthesisPiece)
        /// Nothing new within the quiet time: the generation is still going.
        case quiet
        /// Delivery started over: drop every piece so far.
        case restart
    }

    /// The audio from byte 0 and then live, for a node relaying it to its own listeners: unlike `pieces()`,
    /// taking a piece does not make the generation heard (the relaying node decides for its own listeners
    /// whether a restart can still be followed), so restarts are passed on, and `.quiet` comes whenever
    /// nothing happened for `quietAfter`, so the relaying node can tell a slow generation from a dead node.
    public func relaySteps(quietAfter: Duration) -> AsyncThrowingStream<RelayStep, any Error> {
        let cursor = Mutex((restarts: 0, piece: 0, offset: 0, waited: false))
        return AsyncThrowingStream(unfolding: { [self] in
            while true {
                let (restarts, index, offset, waited) = cursor.withLock { ($0.restarts, $0.piece, $0.offset, $0.waited) }
                let snapshot = state.withLock { state in
                    (
                        restarts: state.restarts, piece: index < state.pieces.count ? state.pieces[index] : nil,
                        staged: state.staged, ended: state.ended
                    )
                }
                if snapshot.restarts != restarts {
                    cursor.withLock { $0 = (snapshot.restarts, 0, 0, false) }
                    return .restart
                }
                if let piece = snapshot.piece, let staged = snapshot.staged {
                    let audio = try await BlockingIO.run { try staged.read(offset: offset, count: piece.end - offset) }
                    cursor.withLock { $0 = (restarts, index + 1, piece.end, false) }
                    return .piece(SynthesisPiece(audio: audio, alignment: piece.alignment))
                }
                switch snapshot.ended {
                case .success: return nil
                case let .failure(error): throw error
                case nil:
                    if waited {
                        cursor.withLock { $0.waited = false }
                        return .quiet
                    }
                    await waitForChange(seenPieces: index, restarts: restarts, atMost: quietAfter)
                    cursor.withLock { $0.waited = true }
                }
            }
        })
    }

    /// Returns once there are more than `seenPieces` pieces, delivery restarted, the generation ended, or
    /// `atMost` passed.
    private func waitForChange(seenPieces: Int, restarts: Int, atMost: Duration) async {
        let wake = WakeSignal()
        let ready = state.withLock { state -> Bool in
            if state.ended != nil || state.pieces.count > seenPieces || state.restarts != restarts { return true }
            state.timedWaiters.append(wake)
            return false
        }
        // A change between the registration and the wait is kept by the signal: the wait then returns at once.
        if !ready { await wake.wait(upTo: atMost) }
    }

    /// Returns once there are more than `seenPieces` pieces or the generation has ended.
    private func waitForChange(seenPieces: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.ended != nil || state.pieces.count > seenPieces { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// The generations in progress, one per content hash: asking for a hash that is being generated joins that
/// generation instead of starting another (what Redis `SET NX EX` locks did in the old design; sound because
/// one process owns the data directory).
final class GenerationRegistry: Sendable {
    private let live = Mutex<[SHA256Digest: LiveGeneration]>([:])

    enum Role: Sendable { case leader, follower }

    /// The generation for `hash`: the running one, or a new one that `start` is called with (under the
    /// registry's lock, so two callers can never both start one; `start` must only launch its work).
    func join(_ hash: SHA256Digest, start: (LiveGeneration) -> Void) -> (LiveGeneration, Role) {
        live.withLock { live in
            // One that has ended is leaving the registry: a new request starts afresh rather than sharing its end.
            if let running = live[hash], !running.hasEnded {
                running.joined()
                return (running, .follower)
            }
            let generation = LiveGeneration(hash: hash)
            live[hash] = generation
            start(generation)
            return (generation, .leader)
        }
    }

    /// Forgets `generation` once it has ended (only that one: a newer generation may hold the hash by then).
    func remove(_ generation: LiveGeneration) {
        live.withLock { live in
            if live[generation.hash] === generation { live[generation.hash] = nil }
        }
    }

    var all: [LiveGeneration] { live.withLock { Array($0.values) } }

    /// The generation of `hash` in progress here, if any.
    func running(_ hash: SHA256Digest) -> LiveGeneration? { live.withLock { $0[hash] } }
}
