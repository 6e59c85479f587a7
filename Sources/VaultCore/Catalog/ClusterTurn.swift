/// A node's turn at generating a hash the cluster does not have yet: either it wins the claim and generates,
/// or another node does, and this one relays that node's live generation to its own listeners (or, when it
/// cannot, waits for the record that node shares). If that node dies, its claim dies with its catalog
/// connection and the next try here wins: a waiter is never stranded.
enum ClusterTurn: Sendable {
    case generate(end: @Sendable () async -> Void)
    case published(AssetRecord)
    /// Another node generates, at this address: follow it (`ClusterStore.relay`).
    case relay(holder: String)
}

/// The turns one generation takes until it has the audio: each look is the record first, then the claim.
struct ClusterTurns {
    /// How long a waiter sleeps between looks, doubling from the first to the last: a short generation is
    /// joined soon after it is shared, a long one costs a node (not each of its waiting requests, which share
    /// the node's own single flight) two catalog round trips a second.
    static let firstPause = Duration.milliseconds(25)
    static let longestPause = Duration.milliseconds(500)

    private var pause = firstPause
    /// False once a holder refused this node's relay credential: then only the catalog is followed.
    var relaying = true

    mutating func next(_ hash: SHA256Digest, from cluster: any ClusterStore) async throws -> ClusterTurn {
        while true {
            if let record = try await cluster.bringIn(hash) { return .published(record) }
            switch try await cluster.claimGeneration(of: hash) {
            case let .won(end):
                // Shared between the look and the claim: then there is nothing to generate.
                do {
                    if let record = try await cluster.bringIn(hash) {
                        await end()
                        return .published(record)
                    }
                } catch {
                    await end()
                    throw error
                }
                return .generate(end: end)
            case let .heldElsewhere(holder):
                if relaying, let holder, holder != cluster.nodeURL { return .relay(holder: holder) }
                try await wait()
            }
        }
    }

    /// Sleeps before the next look (after a refused claim, or a relay that gave nothing).
    mutating func wait() async throws {
        try await Task.sleep(for: pause)
        pause = min(pause * 2, Self.longestPause)
    }
}
