/// The life of one HTTP/1 connection, as a value: every rule about when it waits, reads, closes or is
/// abandoned, in one place, with time passed in (nanoseconds on any monotonic clock) so each rule is a unit
/// test. `ConnectionOwner` feeds it the connection's events and carries out the actions it returns; nothing
/// else in the edge keeps a connection's state (as Hummingbird's `HTTPConnectionStateHandler.StateMachine`
/// does for its own handler).
///
/// It sees every request and answer, whichever transport answers them: routed and fast answers pass the
/// owner as HTTP parts, and answers written beneath NIO's parser are reported to it
/// (`answeredBeneath`, then `answerFlushed`).
///
/// The rules (Docs/ARCHITECTURE.md, "A connection's life"):
/// - **Header deadline and idle timeout.** A connection that owes no answer must complete its next request
///   part within `idleTimeout` of its last event: an idle keep-alive, a head arriving byte by byte (NIO reads
///   heads whole, so a head still arriving is no event at all), a body that stopped. A connection is never
///   closed for idleness while it owes an answer to a request it has read whole (Hummingbird's rule).
/// - **Send progress.** While the socket takes no more output, the client must take a byte within
///   `sendTimeout`, measured from the last time it did (nginx's `send_timeout`), else the connection closes.
/// - **Lingering.** An answer that ends while its request's body is still arriving (an early 401 or 413)
///   lets the connection take `lingeringBodyBytes` more of it for `lingerTimeout`; past the bytes it stops
///   reading and sends FIN, past the time it closes. Closing at once would reset the connection before the
///   client may have read the answer.
/// - **Ending.** A request that asks to end the connection (`Connection: close`, or HTTP/1.0 without
///   keep-alive) is the last one passed on; its answer says `Connection: close` and the output side closes
///   once it is sent. Quiescing does the same for every answer owed, then closes. A peer that half-closes is
///   answered what it asked for, then closed.
/// - **100-continue** goes out as a request that expects it is read, but never inside an earlier answer: a
///   pipelined request behind unanswered ones gets it when the answers before it have ended.
///
/// Invariants: `owed` and `unflushed` never go below zero; after `close` no event returns an action but
/// cancelling timers; at most one timer of each kind is armed.
struct ConnectionLife: Sendable {
    struct Limits: Sendable, Equatable {
        var idleTimeout: UInt64
        var sendTimeout: UInt64
        var lingerTimeout: UInt64
        var lingeringBodyBytes: Int

        init(idleTimeout: UInt64, sendTimeout: UInt64, lingerTimeout: UInt64, lingeringBodyBytes: Int) {
            self.idleTimeout = idleTimeout
            self.sendTimeout = sendTimeout
            self.lingerTimeout = lingerTimeout
            self.lingeringBodyBytes = lingeringBodyBytes
        }

        init(_ limits: ConnectionLimits) {
            let second: UInt64 = 1_000_000_000
            self.init(
                idleTimeout: UInt64(limits.idleTimeoutSeconds) * second, sendTimeout: UInt64(limits.sendTimeoutSeconds) * second,
                lingerTimeout: UInt64(limits.lingeringSeconds) * second, lingeringBodyBytes: limits.lingeringBodyBytes)
        }
    }

    enum Timer: Sendable, Equatable, CaseIterable {
        /// The header deadline and idle timeout.
        case idle
        /// The send-progress check.
        case send
        /// The end of lingering on a body left unread behind its answer.
        case linger
    }

    enum Action: Sendable, Equatable {
        /// `100 Continue` for the request being read.
        case sendContinue
        /// Fire `timer` at `at` (replacing none: only an unarmed timer is armed).
        case arm(Timer, at: UInt64)
        case cancel(Timer)
        /// Stop asking the socket for more input.
        case stopReading
        /// Send FIN once what is written has gone: the client reads the answer, then closes its side.
        case closeOutput
        /// Close the whole connection now.
        case close
    }

    /// How far the socket's output has got, read by the owner when the send side may have stalled.
    struct SendProgress: Sendable, Equatable {
        /// Bytes written to the channel that the socket has not taken yet.
        var waiting: Int
        /// Bytes the peer's TCP acknowledged (0 where the kernel does not say).
        var acknowledged: UInt64
    }

    let limits: Limits
    /// Request heads read whose answer's end has not been written.
    private(set) var owed = 0
    /// Answers whose end is written and not yet flushed to the socket.
    private(set) var unflushed = 0
    /// A head was read and its end not yet.
    private(set) var readingRequest = false
    /// The last request part read or answer flushed: the idle timeout runs from here.
    private(set) var lastActivity: UInt64
    /// A request asked to end the connection: nothing read after it is a request.
    private(set) var closeRequested = false
    /// An answer said `Connection: close`: the output side closes once nothing is owed.
    private(set) var closingAfterAnswers = false
    private(set) var quiescing = false
    private(set) var peerClosedInput = false
    /// The request being read expects `100 Continue`, owed once the answers before it have ended.
    private var continueWaiting = false
    /// Body bytes taken since its answer ended; nil when not lingering.
    private(set) var lingeringBytes: Int?
    /// Lingering went past its bytes: no more reads.
    private(set) var refusingInput = false
    /// Since when the client has taken nothing while the socket refused output, and the progress then; nil
    /// while the socket takes output.
    private var stall: (since: UInt64, progress: SendProgress)?
    private(set) var outputClosed = false
    private(set) var closed = false
    private var armed = PerTimer(idle: false, send: false, linger: false)

    /// One value for each timer: three fields, not a dictionary, since every request consults them.
    struct PerTimer<Value> {
        var idle: Value
        var send: Value
        var linger: Value

        subscript(timer: Timer) -> Value {
            get {
                switch timer {
                case .idle: idle
                case .send: send
                case .linger: linger
                }
            }
            set {
                switch timer {
                case .idle: idle = newValue
                case .send: send = newValue
                case .linger: linger = newValue
                }
            }
        }
    }

    init(limits: Limits, now: UInt64) {
        self.limits = limits
        self.lastActivity = now
    }

    /// Nothing owed either way and no request arriving.
    var isIdle: Bool { owed == 0 && unflushed == 0 && !readingRequest }

    /// Whether request parts read now are passed on. False once the request that asked to end the connection
    /// was read whole, or the output side is closed: later bytes are not requests this connection answers.
    var passesRequests: Bool { !(closeRequested && !readingRequest) && !outputClosed && !closed }

    func isArmed(_ timer: Timer) -> Bool { armed[timer] }

    // MARK: Events

    /// The connection is open: its first head is due within the idle timeout.
    mutating func opened(now: UInt64) -> [Action] {
        lastActivity = now
        return armIdle()
    }

    mutating func headRead(now: UInt64, keepAlive: Bool, expectsContinue: Bool) -> [Action] {
        guard !closed else { return [] }
        owed += 1
        readingRequest = true
        lastActivity = now
        if !keepAlive { closeRequested = true }
        var actions = stopLingering()
        if expectsContinue {
            if owed == 1 {
                actions.append(.sendContinue)
            } else {
                continueWaiting = true
            }
        }
        return actions + armIdle()
    }

    mutating func bodyRead(now: UInt64, bytes: Int) -> [Action] {
        guard !closed else { return [] }
        lastActivity = now
        var actions: [Action] = []
        if let lingered = lingeringBytes {
            let total = lingered + bytes
            lingeringBytes = total
            if total > limits.lingeringBodyBytes, !refusingInput {
                refusingInput = true
                outputClosed = true
                actions = [.stopReading, .closeOutput]
            }
        }
        return actions + armIdle()
    }

    mutating func endRead(now: UInt64) -> [Action] {
        guard !closed else { return [] }
        readingRequest = false
        continueWaiting = false
        lastActivity = now
        return stopLingering() + settle() + armIdle()
    }

    /// An answer's head is written: true when it must say `Connection: close` (the request that asked for it,
    /// which is the last one passed on, so the one answered while it alone is owed; or any, while quiescing).
    mutating func answerBegins() -> Bool {
        let closes = quiescing || (closeRequested && owed == 1)
        if closes { closingAfterAnswers = true }
        return closes
    }

    /// An answer's end is written (before it is flushed).
    mutating func answerEnded(now: UInt64) -> [Action] {
        guard !closed else { return [] }
        owed = max(0, owed - 1)
        unflushed += 1
        lastActivity = now
        var actions: [Action] = []
        if readingRequest {
            if owed == 0, lingeringBytes == nil, !refusingInput {
                // Answered before its body was read: linger on the rest.
                lingeringBytes = 0
                continueWaiting = false
                actions.append(contentsOf: arm(.linger, at: now &+ limits.lingerTimeout))
            } else if owed == 1, continueWaiting {
                continueWaiting = false
                actions.append(.sendContinue)
            }
        }
        return actions
    }

    /// A whole answer was written beneath NIO's parser (its request never passed as parts); `closing` when it
    /// said `Connection: close`. `answerFlushed` follows.
    mutating func answeredBeneath(now: UInt64, closing: Bool) -> [Action] {
        guard !closed else { return [] }
        unflushed += 1
        lastActivity = now
        if closing {
            closingAfterAnswers = true
            closeRequested = true
        }
        return []
    }

    /// An answer's bytes have gone to the socket (or the connection failed them).
    mutating func answerFlushed(now: UInt64) -> [Action] {
        guard !closed else { return [] }
        unflushed = max(0, unflushed - 1)
        lastActivity = now
        return settle() + armIdle()
    }

    mutating func writabilityChanged(writable: Bool, now: UInt64, progress: SendProgress) -> [Action] {
        guard !closed else { return [] }
        if writable {
            // The armed check finds nothing stalled and stops.
            stall = nil
            return []
        }
        guard stall == nil else { return [] }
        stall = (now, progress)
        return arm(.send, at: now &+ limits.sendTimeout)
    }

    mutating func idleTimerFired(now: UInt64) -> [Action] {
        armed[.idle] = false
        guard !closed else { return [] }
        // Answering a request read whole: armed again by the next event that may end that.
        if !readingRequest, owed > 0 || unflushed > 0 { return [] }
        let deadline = lastActivity &+ limits.idleTimeout
        if now >= deadline { return closeNow() }
        return arm(.idle, at: deadline)
    }

    mutating func sendTimerFired(now: UInt64, progress: SendProgress) -> [Action] {
        armed[.send] = false
        guard !closed, let stalled = stall else { return [] }
        // The client took bytes: slow, not stalled, and measured again from now. Otherwise more answers may have
        // queued behind, so progress is measured against what waits now.
        let tookBytes = progress.waiting < stalled.progress.waiting || progress.acknowledged > stalled.progress.acknowledged
        let since = tookBytes ? now : stalled.since
        stall = (since, tookBytes ? progress : SendProgress(waiting: progress.waiting, acknowledged: stalled.progress.acknowledged))
        let deadline = since &+ limits.sendTimeout
        if now >= deadline { return closeNow() }
        return arm(.send, at: deadline)
    }

    mutating func lingerTimerFired(now: UInt64) -> [Action] {
        armed[.linger] = false
        guard !closed, lingeringBytes != nil else { return [] }
        return closeNow()
    }

    /// The server is stopping: answers owed go out saying `Connection: close`, then the connection closes.
    mutating func quiesce(now: UInt64) -> [Action] {
        guard !closed else { return [] }
        quiescing = true
        return isIdle ? closeNow() : []
    }

    /// The peer sent FIN: no request will follow. A request still arriving never will be whole.
    mutating func inputClosed(now: UInt64) -> [Action] {
        guard !closed else { return [] }
        peerClosedInput = true
        if readingRequest || isIdle { return closeNow() }
        return []
    }

    /// The channel is gone: every armed timer is cancelled.
    mutating func channelClosed() -> [Action] {
        closed = true
        var actions: [Action] = []
        for timer in Timer.allCases where isArmed(timer) {
            armed[timer] = false
            actions.append(.cancel(timer))
        }
        return actions
    }

    // MARK: Rules

    /// After a request is read whole or an answer flushed: what ending the connection owes now.
    private mutating func settle() -> [Action] {
        guard isIdle else { return [] }
        if quiescing || peerClosedInput { return closeNow() }
        if closingAfterAnswers, !outputClosed {
            outputClosed = true
            return [.closeOutput]
        }
        return []
    }

    private mutating func stopLingering() -> [Action] {
        guard lingeringBytes != nil else { return [] }
        lingeringBytes = nil
        return cancel(.linger)
    }

    private mutating func armIdle() -> [Action] {
        guard !closed else { return [] }
        return arm(.idle, at: lastActivity &+ limits.idleTimeout)
    }

    private mutating func arm(_ timer: Timer, at deadline: UInt64) -> [Action] {
        guard !isArmed(timer) else { return [] }
        armed[timer] = true
        return [.arm(timer, at: deadline)]
    }

    private mutating func cancel(_ timer: Timer) -> [Action] {
        guard isArmed(timer) else { return [] }
        armed[timer] = false
        return [.cancel(timer)]
    }

    private mutating func closeNow() -> [Action] {
        var actions = channelClosed()
        actions.insert(.close, at: 0)
        return actions
    }
}

extension ConnectionLife.PerTimer: Sendable where Value: Sendable {}
