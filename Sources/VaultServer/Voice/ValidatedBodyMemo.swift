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
/// recently used first out; an entry's cost counts what it really holds (`cost(ofBody:)`).
final class ValidatedBodyMemo: Sendable {
    /// Keys are the body's readable bytes (`ByteBuffer` hashes and compares those), so a lookup needs no copy.
    private struct State: Sendable {
        var budget: LeastRecentlyUsedBudget<ByteBuffer>
        var values: [ByteBuffer: VoiceRequestBody.Validated] = [:]
    }

    private let state: Mutex<State>

    static let defaultEntryLimit = 64 << 10

    /// - Parameters:
    ///   - capacity: bytes held at most; 0 turns the memo off.
    ///   - entryLimit: the largest body held (a chapter-sized body is a few kilobytes).
    init(capacity: Int = 8 << 20, entryLimit: Int = defaultEntryLimit) {
        state = Mutex(State(budget: LeastRecentlyUsedBudget(capacity: capacity, entryLimit: entryLimit)))
    }

    /// What `body` validated to, if held (marking it as just used); nil asks nothing else.
    func held(_ body: ByteBuffer) -> VoiceRequestBody.Validated? {
        state.withLock { state in
            guard let value = state.values[body] else { return nil }
            state.budget.touch(body)
            return value
        }
    }

    /// What `body` validates to: from the memo, or from `validate`, which is then remembered.
    func validated(_ body: ByteBuffer, validate: () async throws -> VoiceRequestBody.Validated) async throws
        -> VoiceRequestBody.Validated
    {
        if let held = held(body) { return held }
        let value = try await validate()
        // Held as a compact copy: the request's buffer may have room beyond its bytes.
        let key = ByteBuffer(bytes: body.readableBytesView)
        let cost = Self.cost(ofBody: key.readableBytes)
        state.withLock { state in
            guard state.values[key] == nil, let evicted = state.budget.admit(key, cost: cost) else { return }
            for old in evicted { state.values[old] = nil }
            state.values[key] = value
        }
        return value
    }

    var count: Int { state.withLock { $0.values.count } }

    /// What an entry really holds, so the capacity is memory and not a fraction of it: the body twice (the
    /// key and the canonical text) and about 1 KiB besides (the spec's other strings, the content hash, the
    /// dictionary's and the LRU's bookkeeping). Counting 256 bytes of overhead let an 8 MiB memo of
    /// 160-byte bodies hold about 20 MB, which a soak showed as growth until it was full.
    static func cost(ofBody bytes: Int) -> Int { 2 * bytes + 1024 }
}
