import Hummingbird
import VaultCore

/// `GET /cluster/v1/live/{hash}`: this node's live generation of `hash`, for another node of the cluster to
/// relay to its own listeners (Docs/CLUSTER.md, "Listeners on every node hear the stream live"). Only nodes may
/// ask: the bearer token must be the cluster's relay credential, derived from the signing secret they share.
///
/// The body is `RelayFrame`s: every piece staged so far, then each as it comes, a `quiet` frame whenever
/// nothing happened for `quietInterval` (so the follower can tell a slow generation from a dead node), and
/// `end` once the generation is whole and shared, or `failed` with the reason.
struct ClusterRelayRoutes {
    static let contentType = "application/vnd.voicevault.relay"
    /// Well inside the follower's `LiveRelayClient.quietBound`.
    static let quietInterval = Duration.seconds(2)
    /// A piece is sent in frames of at most this much audio, so no frame comes near the decoder's bound.
    static let frameAudioBytes = 1 << 20

    let voice: VoiceService
    let cluster: any ClusterStore

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        router.on(RelayFrame.routePrefix + ":hash", method: .get, recordingIn: table) { request, context -> Response in
            let presented = request.headers[.authorization].flatMap(APIKeyAuthenticator.bearerToken)
            guard let presented, cluster.acceptsRelay(credential: presented) else {
                throw APIError(.unauthorized, code: "relay_refused", message: "only the cluster's nodes may follow a generation")
            }
            guard let text = context.parameters.get("hash"), let hash = SHA256Digest(hex: text) else {
                throw APIError(.badRequest, code: "invalid_hash", message: "the path must end in a content hash (64 hex digits)")
            }
            guard let generation = voice.liveGeneration(of: hash) else {
                throw APIError(.notFound, code: "not_generating_here", message: "this node is not generating \(hash.hex)")
            }
            return Response(
                status: .ok, headers: [.contentType: Self.contentType, .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    do {
                        for try await step in generation.relaySteps(quietAfter: Self.quietInterval) {
                            for frame in Self.frames(step) { try await writer.write(ByteBuffer(bytes: try frame.encoded())) }
                        }
                        try await writer.write(ByteBuffer(bytes: try RelayFrame.end.encoded()))
                    } catch {
                        let failed = RelayFrame.failed(code: "generation_failed", message: "\(error)")
                        try await writer.write(ByteBuffer(bytes: try failed.encoded()))
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// A step as frames: a large piece's audio split, its timings with the first part (they are absolute).
    static func frames(_ step: LiveGeneration.RelayStep) -> [RelayFrame] {
        switch step {
        case .quiet: return [.quiet]
        case .restart: return [.restart]
        case let .piece(piece):
            guard piece.audio.count > frameAudioBytes else { return [.piece(piece)] }
            return stride(from: 0, to: piece.audio.count, by: frameAudioBytes).map { start in
                let audio = Array(piece.audio[start..<min(start + frameAudioBytes, piece.audio.count)])
                return .piece(SynthesisPiece(audio: audio, alignment: start == 0 ? piece.alignment : nil))
            }
        }
    }
}
