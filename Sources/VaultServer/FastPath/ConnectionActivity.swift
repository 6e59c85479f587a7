/// What one connection is doing, seen from in front of the router, where every request passes: requests
/// handed to the router whose responses have not ended, and answers the download fast path is still
/// deciding or sending. From there it decides what only this vantage point can:
/// - whether a request may be answered ahead of the router without overtaking an earlier answer on the
///   connection (pipelined responses must keep their order);
/// - when the connection has been idle long enough to close. Hummingbird's own idle timer sees only the
///   router's requests, so it would close a connection busy with fast-path downloads; this one sees both,
///   with Hummingbird's rule: a connection is never closed while it owes an answer to a request it has read
///   whole, and otherwise is closed once nothing (a request part, the end of an answer) happened for the
///   timeout (an idle keep-alive, a head arriving byte by byte, a request body that stopped).
///
/// Time is passed in (nanoseconds on any monotonic clock), so every rule is a unit test.
struct ConnectionActivity: Sendable, Equatable {
    /// Heads handed to the router whose responses have not ended.
    private(set) var routedInFlight = 0
    /// A routed request's body is still arriving.
    private(set) var readingRoutedRequest = false
    /// Answers the fast path has taken and not yet finished sending.
    private(set) var directInFlight = 0
    /// A request the fast path holds is still arriving (a voice request's body).
    private(set) var readingDirectRequest = false
    /// The last request part read or answer ended.
    private(set) var lastActivity: UInt64

    init(now: UInt64) {
        lastActivity = now
    }

    /// Nothing in flight in either direction.
    var isIdle: Bool { routedInFlight == 0 && !readingRoutedRequest && directInFlight == 0 && !readingDirectRequest }

    /// Nothing the router owes an answer for is pending, so an answer written now is in order.
    var mayAnswerDirectly: Bool { routedInFlight == 0 && !readingRoutedRequest }

    mutating func routedRequestStarted(now: UInt64) {
        routedInFlight += 1
        readingRoutedRequest = true
        lastActivity = now
    }

    mutating func routedBodyRead(now: UInt64) {
        lastActivity = now
    }

    mutating func routedRequestRead(now: UInt64) {
        readingRoutedRequest = false
        lastActivity = now
    }

    /// A response end with no routed request behind it (a parse error's answer) changes only the time.
    mutating func routedResponseEnded(now: UInt64) {
        routedInFlight = max(0, routedInFlight - 1)
        lastActivity = now
    }

    mutating func directAnswerStarted(now: UInt64) {
        directInFlight += 1
        lastActivity = now
    }

    /// A request the fast path may answer once its body is in.
    mutating func directRequestStarted(now: UInt64) {
        directAnswerStarted(now: now)
        readingDirectRequest = true
    }

    mutating func directBodyRead(now: UInt64) {
        lastActivity = now
    }

    mutating func directRequestRead(now: UInt64) {
        readingDirectRequest = false
        lastActivity = now
    }

    mutating func directAnswerFinished(now: UInt64) {
        directInFlight = max(0, directInFlight - 1)
        lastActivity = now
    }

    enum IdleCheck: Equatable {
        /// Answering a request read whole: checked again when an answer ends or a request arrives.
        case busy
        case close
        /// Not for long enough yet.
        case checkAgain(at: UInt64)
    }

    func idleCheck(now: UInt64, timeout: UInt64) -> IdleCheck {
        if !readingRoutedRequest, !readingDirectRequest, routedInFlight > 0 || directInFlight > 0 { return .busy }
        let deadline = lastActivity &+ timeout
        return now >= deadline ? .close : .checkAgain(at: deadline)
    }
}
