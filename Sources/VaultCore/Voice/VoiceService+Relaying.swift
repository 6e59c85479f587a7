extension VoiceService {
    /// How a relay of another node's generation ended for this node's generation of the same hash.
    enum RelayOutcome {
        /// The holder's generation was whole and shared; this node published it with the catalog's record.
        case published(AssetRecord)
        /// The holder refused this node's credential: follow the catalog only from now on.
        case refused
        /// The relay stopped before any of this node's listeners heard a piece: take the next turn.
        case nothingHeard
    }

    /// Follows the holder's live generation into this node's `generation`, piece by piece, so that this node's
    /// listeners hear it as it is made (Docs/CLUSTER.md, "Listeners on every node hear the stream live"). The
    /// pieces are staged here as an upstream's would be; when the holder says the generation is whole, they
    /// are published with the catalog's record if they are its blob (else the blob is fetched).
    ///
    /// Throws only when the relay stopped after a listener here heard a piece, which cannot be taken back: as on
    /// the generating node when its upstream fails midway.
    func relay(_ generation: LiveGeneration, format: String, from holder: String, cluster: any ClusterStore) async throws
        -> RelayOutcome
    {
        let store = store
        let hash = generation.hash
        let file = try await BlockingIO.run { try store.stage(hash, format: format) }
        generation.attach(file)
        do {
            for try await step in cluster.relay(hash, from: holder) {
                switch step {
                case let .piece(piece):
                    try await BlockingIO.run { try file.append(piece.audio) }
                    generation.appended(end: file.size, alignment: piece.alignment)
                case .restart:
                    guard generation.restartIfUnheard() else {
                        throw ClusterRelayError.cut("the holder started over after a listener here heard it")
                    }
                    try await BlockingIO.run { try file.restart() }
                case .quiet:
                    continue
                }
            }
            let sealed = try await BlockingIO.run { try file.seal() }
            guard let record = try await cluster.bringIn(hash, relayed: sealed) else {
                // Shared and removed again at once (an admin delete): what was heard is gone.
                throw ClusterRelayError.cut("the generation was removed as soon as it was shared")
            }
            file.discard()
            return .published(record)
        } catch {
            file.discard()
            guard generation.restartIfUnheard() else { throw error }
            return error as? ClusterRelayError == .refused ? .refused : .nothingHeard
        }
    }
}
