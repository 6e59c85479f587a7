import Synchronization

/// Makes any synthesizer accept text longer than its model's per-request limit: the text is split at sentence
/// boundaries (`TextChunker`), each piece is generated in order with its neighbours as `previous_text` /
/// `next_text` so the prosody flows across the seams, and the pieces stream out as one MP3. Text within the
/// limit passes straight through, bytes unchanged.
///
/// The joined MP3 is the audio frames of every chunk in order, with each chunk's ID3 tag, Xing/Info frame and
/// trailing tags left out (`IncrementalMP3Inspector` hands out exactly its frames). No Xing header is written
/// for the whole: it would have to come first, before the length is known, and listeners are already hearing
/// the first chunk. ElevenLabs' MP3 formats are constant bitrate, so players compute the duration from the
/// size and bitrate; the record keeps the exact duration from the frames (Docs/API.md, "Long text").
public struct ChunkingSynthesizer: SpeechSynthesizer {
    public let base: any SpeechSynthesizer
    let limit: @Sendable (String) -> Int

    public init(base: any SpeechSynthesizer, limit: @escaping @Sendable (String) -> Int = ModelLimits.maximumCharacters(model:)) {
        self.base = base
        self.limit = limit
    }

    public func resolve(_ spec: SpeechSpec) -> SpeechSpec { base.resolve(spec) }

    /// The whole, collected from `stream` and verified.
    public func synthesize(_ spec: SpeechSpec) async throws -> Generation {
        let collected = PieceCollector()
        let receipt = try await stream(
            spec,
            restart: {
                collected.reset()
                return true
            }
        ) { piece in collected.add(piece) }
        return Generation(
            mp3: try InspectedMP3(collected.audio), requestId: receipt.requestId,
            characterCost: receipt.characterCost, attempts: receipt.attempts, alignment: collected.alignment)
    }

    /// A chunk after the first is never restarted: the chunks before it are already delivered.
    public func stream(
        _ spec: SpeechSpec, restart: @escaping @Sendable () async -> Bool,
        deliver: @escaping @Sendable (SynthesisPiece) async throws -> Void
    ) async throws -> SynthesisReceipt {
        let maximum = limit(spec.modelId)
        // A dialogue is never cut: its lines and voices are one generation (its length is checked at the door).
        guard spec.characterCount > maximum, spec.dialogue == nil else { return try await base.stream(spec, restart: restart, deliver: deliver) }
        let chunks = TextChunker(limit: maximum).chunks(spec.text, previousText: spec.previousText, nextText: spec.nextText)
        var requestIds = [String]()
        var historyItemIds = [String]()
        var cost: Int? = 0
        var attempts = 0
        var elapsedMilliseconds: UInt32 = 0
        let stitchesById = RequestStitching.upstreamStitchesRequestIds(model: spec.modelId)
        for (index, chunk) in chunks.enumerated() {
            var part = try spec.replacing(text: chunk.text, previousText: chunk.previousText, nextText: chunk.nextText)
            part.upstreamContext = Self.context(
                of: index, count: chunks.count, whole: spec.upstreamContext,
                previousChunkId: stitchesById ? requestIds.last : nil)
            let frames = Mutex(IncrementalMP3Inspector())
            let offset = elapsedMilliseconds
            // The separator the chunker cut, spoken as the seam's silence, keeps the timings' text whole.
            let seam = Mutex(index > 0)
            let first = index == 0
            let restartChunk: @Sendable () async -> Bool = {
                guard first, await restart() else { return false }
                frames.withLock { $0 = IncrementalMP3Inspector() }
                return true
            }
            let receipt = try await base.stream(part, restart: restartChunk) { piece in
                let audio = frames.withLock { $0.feed(piece.audio) }
                var alignment = piece.alignment.map { part -> SpeechAlignment in
                    var shifted = SpeechAlignment()
                    shifted.append(part, offsetMilliseconds: offset)
                    return shifted
                }
                if alignment != nil,
                    seam.withLock({
                        let first = $0
                        $0 = false
                        return first
                    })
                {
                    alignment?.prepend(.init(text: " ", startMilliseconds: offset, endMilliseconds: offset))
                }
                try await deliver(SynthesisPiece(audio: audio, alignment: alignment))
            }
            let verdict = frames.withLock { inspector in Result { () throws(MP3Error) in try inspector.finish() } }
            let info: MP3Info
            let rest: [UInt8]
            switch verdict {
            case let .success(value): (info, rest) = value
            case let .failure(error): throw StoreError.invalidAudio(error)
            }
            if !rest.isEmpty { try await deliver(SynthesisPiece(audio: rest, alignment: nil)) }
            elapsedMilliseconds += UInt32((info.untrimmedDurationSeconds * 1000).rounded())
            if let id = receipt.requestId { requestIds.append(id) }
            if let id = receipt.historyItemId { historyItemIds.append(id) }
            cost = receipt.characterCost.flatMap { add in cost.map { $0 + add } }
            attempts += receipt.attempts
        }
        return SynthesisReceipt(
            requestId: requestIds.isEmpty ? nil : requestIds.joined(separator: ","),
            characterCost: cost, attempts: attempts,
            historyItemId: historyItemIds.isEmpty ? nil : historyItemIds.joined(separator: ","))
    }

    /// The stitching of chunk `index` of `count`: the first speaks after what the whole request speaks after, the
    /// last before what it speaks before (`whole`, a stitched request's context), and each chunk after the first
    /// after the chunk before it, by that chunk's upstream request id when there is one (upstream then joins the
    /// prosody across the seam from the audio it made, not from text), else by the text the chunker gave it.
    static func context(of index: Int, count: Int, whole: StitchingContext?, previousChunkId: String?) -> StitchingContext? {
        var context = StitchingContext()
        if index == 0 {
            context.previousRequestIds = whole?.previousRequestIds ?? []
            context.previousText = whole?.previousText
        } else if let previousChunkId {
            context.previousRequestIds = [previousChunkId]
        }
        if index == count - 1 {
            context.nextRequestIds = whole?.nextRequestIds ?? []
            context.nextText = whole?.nextText
        }
        return context == StitchingContext() ? nil : context
    }
}
