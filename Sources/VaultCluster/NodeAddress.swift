public import Synchronization

/// How the other nodes reach this one: `VOICEVAULT_NODE_URL`, or else this node's own host and port, which are
/// known for certain only once it listens (`--port 0` takes whatever port is free). Recorded with each flight
/// the node claims, so that waiting nodes know where to relay from.
public final class NodeAddress: Sendable {
    private let current: Mutex<String>

    public init(_ url: String) {
        current = Mutex(url)
    }

    public var url: String { current.withLock { $0 } }

    /// Sets the address once the node listens (when no `VOICEVAULT_NODE_URL` fixed it).
    public func update(_ url: String) {
        current.withLock { $0 = url }
    }
}
