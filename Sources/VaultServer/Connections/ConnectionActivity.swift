/// What one connection is doing, seen from in front of the router, where every request passes: requests
/// handed to the router whose responses have not ended, and answers the download fast path is still
/// deciding or sending. From there it decides what only this vantage point can:
/// - whether a request may be answered ahead of the router without overtaking an earlier answer on the
///   connection (pipelined responses must keep their order);
/// - when the connection has been idle long enough to close. Hummingbird's own idle timer sees only the
///   router's requests, so it would close a connection busy with fast-path downloads; this one sees both.
///
/// Time is passed in (nanoseconds on any monotonic clock), so every rule is a unit test.
struct ConnectionActivity: Sendable, Equatable {
    /// Heads handed to the router whose responses have not ended.
    private(set) var routedInFlight = 0
    /// A routed request's body is still arriving.
    private(set) var readingRoutedRequest = false
    /// Answers the fast path has taken and not yet finished sending.
    private(set) var directInFlight = 0
    /// When the connection last became idle; nil while busy.
    private(set) var idleSince: UInt64?

    init(now: UInt64) {
        idleSince = now
    }

    var isIdle: Bool { routedInFlight == 0 && !readingRoutedRequest && directInFlight == 0 }

    /// Nothing the router owes an answer for is pending, so an answer written now is in order.
    var mayAnswerDirectly: Bool { routedInFlight == 0 && !readingRoutedRequest }

    mutating func routedRequestStarted() {
        routedInFlight += 1
        readingRoutedRequest = true
        idleSince = nil
    }

    mutating func routedRequestRead(now: UInt64) {
        readingRoutedRequest = false
        settle(now)
    }

    /// A response end with no routed request behind it (a parse error's answer) changes nothing.
    mutating func routedResponseEnded(now: UInt64) {
        routedInFlight = max(0, routedInFlight - 1)
        settle(now)
    }

    mutating func directAnswerStarted() {
        directInFlight += 1
        idleSince = nil
    }

    mutating func directAnswerFinished(now: UInt64) {
        directInFlight = max(0, directInFlight - 1)
        settle(now)
    }

    private mutating func settle(_ now: UInt64) {
        if isIdle, idleSince == nil { idleSince = now }
    }

    enum IdleCheck: Equatable {
        /// Busy: the check is made again when the connection next becomes idle.
        case busy
        case close
        /// Idle, but not for long enough yet.
        case checkAgain(at: UInt64)
    }

    func idleCheck(now: UInt64, timeout: UInt64) -> IdleCheck {
        guard let idleSince else { return .busy }
        let deadline = idleSince &+ timeout
        return now >= deadline ? .close : .checkAgain(at: deadline)
    }
}
