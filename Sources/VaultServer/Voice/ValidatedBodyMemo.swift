import NIOCore
import Synchronization
import VaultCore

/// Request bodies of `POST /api/voice` already validated, by their exact bytes, with what they validated to: a
/// reading app asks for the same chapter with the same body again and again, and decoding, canonicalising and
/// hashing it is most of a cache hit's work.
///
/// It can never answer for audio that is gone: what it holds is a pure function of the body's bytes (and the
/// server's fixed text limit): the spec, its content hash and the book, never a record. Every request still
/// reads the index, so a deleted or evicted asset is a miss as it would be without the memo. Failures are not
/// held. Bounded in bytes (each entry costs its body twice, for the key and the canonical text), least
/// recently used first out.
final class ValidatedBodyMemo: Sendable {
    /// Keys are the body's readable bytes (`ByteBuffer` hashes and compares those), so a lookup needs no copy.
    private struct State: Sendable {
        var budget: LeastRecentlyUsedBudget<ByteBuffer>
        var values: [ByteBuffer: VoiceRequestBody.Validated] = [:]
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - capacity: bytes held at most; 0 turns the memo off.
    ///   - entryLimit: the largest body held (a chapter-sized body is a few kilobytes).
    init(capacity: Int = 8 << 20, entryLimit: Int = 64 << 10) {
        state = Mutex(State(budget: LeastRecentlyUsedBudget(capacity: capacity, entryLimit: entryLimit)))
    }

    /// What `body` validates to: from the memo, or from `validate`, which is then remembered.
    func validated(_ body: ByteBuffer, validate: () async throws -> VoiceRequestBody.Validated) async throws
        -> VoiceRequestBody.Validated
    {
        let held = state.withLock { state -> VoiceRequestBody.Validated? in
            guard let value = state.values[body] else { return nil }
            state.budget.touch(body)
            return value
        }
        if let held { return held }
        let value = try await validate()
        // Held as a compact copy: the request's buffer may have room beyond its bytes.
        let key = ByteBuffer(bytes: body.readableBytesView)
        let cost = 2 * key.readableBytes + 256
        state.withLock { state in
            guard state.values[key] == nil, let evicted = state.budget.admit(key, cost: cost) else { return }
            for old in evicted { state.values[old] = nil }
            state.values[key] = value
        }
        return value
    }

    var count: Int { state.withLock { $0.values.count } }
}
