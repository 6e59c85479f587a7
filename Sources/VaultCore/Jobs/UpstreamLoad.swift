/// How busy the upstream is, for background work that must never hold up a listener: a pre-generation job
/// starts its next item only when this says there is room.
public protocol UpstreamLoad: Sendable {
    /// True when no request is queued for the upstream and a slot would still be free after taking one (with
    /// a plan of one concurrent generation: when it is idle).
    func hasRoomForBackground() async -> Bool
}
