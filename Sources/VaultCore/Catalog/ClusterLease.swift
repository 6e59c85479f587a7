/// A role one node of a cluster holds at a time (the job runner, say): held while its holder's catalog session
/// lives, so a node that dies hands it on by dying. `isHeld` turns false when the session is gone, and the
/// holder must then stop acting in the role.
public protocol ClusterLease: Sendable {
    var isHeld: Bool { get }
    /// Gives the role up, for another node to take.
    func release() async
}

/// Tries to take a role for this node, never waiting for it: the lease, or nil when another node holds it.
public typealias ClusterLeaseTaker = @Sendable () async throws -> (any ClusterLease)?
