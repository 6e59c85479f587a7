import Hummingbird
import NIOCore
import NIOHTTP1
import VaultCore

/// The answer to a plain cache hit of `POST /api/voice` without the router, for the fast path handler: the
/// same steps as the route (the caller's key, the body the memo already validated, the service's plain-hit
/// decision, the key's rate, the usage events, the same headers and JSON), none of them `async`. It answers
/// only when every step says "hit"; anything else (no valid key, a body not validated yet, a miss, audio
/// another book must be linked to, a key over its rate, an index error) is nil and goes to the router,
/// which decides as always. Nothing is reported before the answer is certain.
struct VoiceHitShortcut: Sendable {
    let voice: VoiceService
    let memo: ValidatedBodyMemo
    let identification: CallerIdentification
    let rateLimiter: RequestRateLimiter
    let publicBaseURL: String?

    /// The largest body the memo can hold: larger ones cannot be hits here.
    static let maximumBodyBytes = ValidatedBodyMemo.defaultEntryLimit

    struct Hit {
        var headers: HTTPFields
        var body: ByteBuffer
        var caller: Caller
        var hash: SHA256Digest
    }

    func answer(headers: HTTPHeaders, body: ByteBuffer) -> Hit? {
        guard let caller = identification.caller({ headers.joinedValues($0.name) }), let key = caller.clientKey,
            let validated = memo.held(body)
        else { return nil }
        let request = VoiceRoutes.voiceRequest(validated, caller: caller)
        guard let hit = (try? voice.plainHit(request, identity: validated.identity)) ?? nil else { return nil }
        // A key whose rate is the cluster's is decided by the catalog, which the router waits for.
        guard rateLimiter.decidesAtOnce(for: key), rateLimiter.take(for: key) == .allowed else { return nil }
        voice.reportHit(hit, for: request)
        return Hit(
            headers: VoiceRoutes.answerHeaders(hit.outcome),
            body: VoiceRoutes.answerBody(hit.outcome, validated, baseURL: publicBaseURL),
            caller: caller, hash: hit.outcome.hash)
    }
}
