import Foundation
public import VaultCore

/// The voice service's event sink on the server: every event goes to the ledger writer's queue as a ledger
/// row, or, when the server has no ledger, to the in-memory tally. Failures get their stable API error code here, from
/// the one classification the voice API answers with (`VoiceErrorMapping`).
public struct UsageRecorder: VoiceEventSink {
    public let tally: UsageTally
    public let writer: LedgerWriter?

    public init(tally: UsageTally = UsageTally(), writer: LedgerWriter? = nil) {
        self.tally = tally
        self.writer = writer
    }

    /// Reads the ledger's history, this server's queued events included (read-your-writes: it flushes the
    /// queue first). Nil when the server has no ledger.
    func history<T: Sendable>(_ read: (any UsageHistory) async throws -> T) async throws -> T? {
        guard let writer else { return nil }
        await writer.flush()
        return try await read(writer.history)
    }

    public func record(_ event: VoiceEvent) {
        // The tally is what stats show when there is no ledger; with one, it would only cost every hit a lock.
        guard let writer else {
            tally.record(event)
            return
        }
        let now = Date().timeIntervalSince1970
        switch event {
        case let .hit(usage):
            writer.enqueue(Self.hit(usage, joined: false, at: now))
        case let .joined(usage):
            writer.enqueue(Self.hit(usage, joined: true, at: now))
        case let .generated(usage, generated):
            writer.enqueue(
                .generation(
                    .init(
                        at: now, contentHash: usage.hash.hex, bookId: usage.who.bookId.value, chapterId: usage.who.chapterId,
                        voiceId: usage.voiceId, modelId: usage.modelId, characters: usage.characters,
                        characterCost: generated.characterCost,
                        upstreamRequestId: generated.upstreamRequestId, upstreamMilliseconds: generated.timings.upstreamSeconds * 1000,
                        writeMilliseconds: generated.timings.writeSeconds * 1000, indexMilliseconds: generated.timings.indexSeconds * 1000,
                        attempts: generated.upstreamAttempts, clientKeyId: usage.who.clientKeyId, clientName: usage.who.clientName)))
        case let .deleted(deletion):
            writer.enqueue(
                .adminAction(
                    .init(
                        at: now, action: deletion.action, contentHash: deletion.contentHash,
                        bookId: deletion.bookId, removal: deletion.removal, detail: deletion.detail)))
        case let .failed(who, error):
            let code = VoiceErrorMapping.apiError(for: error)?.code ?? "internal_error"
            writer.enqueue(
                .failure(
                    .init(
                        at: now, bookId: who.bookId.value, errorCode: code, clientKeyId: who.clientKeyId,
                        clientName: who.clientName)))
        }
    }

    /// A request that paid nothing: answered from the index, or (`joined`) by a generation another led.
    static func hit(_ usage: VoiceEvent.Usage, joined: Bool, at: Double) -> LedgerEvent {
        .hit(
            .init(
                at: at, contentHash: usage.hash.hex, bookId: usage.who.bookId.value, voiceId: usage.voiceId,
                characters: usage.characters, joined: joined, clientKeyId: usage.who.clientKeyId, clientName: usage.who.clientName))
    }
}
