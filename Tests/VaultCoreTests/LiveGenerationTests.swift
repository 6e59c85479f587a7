import Foundation
import Synchronization
import Testing
import VaultTestSupport
@testable import VaultCore

/// Streams two pieces of silent audio with a gate between them, and optionally fails after the second: a
/// generation held exactly where a test needs it, never for a guessed time.
final class TwoPieceSynthesizer: SpeechSynthesizer {
    let between = Gate()
    let calls = Mutex(0)
    let failing = Mutex(false)

    func synthesize(_ spec: SpeechSpec) async throws -> Generation { throw VoiceError.synthesizerFailed("streams only") }

    static func audio(_ spec: SpeechSpec) -> [UInt8] {
        SilentMP3.make(frames: 12, seed: spec.contentHash.bytes[0])
    }

    func stream(
        _ spec: SpeechSpec, restart: @escaping @Sendable () async -> Bool,
        deliver: @escaping @Sendable (SynthesisPiece) async throws -> Void
    ) async throws -> SynthesisReceipt {
        calls.withLock { $0 += 1 }
        let audio = Self.audio(spec)
        let half = audio.count / 2
        try await deliver(
            SynthesisPiece(audio: Array(audio[..<half]), alignment: .evenlySpread(spec.text, startMilliseconds: 0, endMilliseconds: 100)))
        await between.wait()
        if failing.withLock({ $0 }) { throw VoiceError.synthesizerFailed("cut off") }
        try await deliver(SynthesisPiece(audio: Array(audio[half...]), alignment: nil))
        return SynthesisReceipt(requestId: "r1", characterCost: spec.text.count, attempts: 1)
    }
}

/// Generations as replayable streams: one per hash, every requester from byte 0, published once and whole.
@Suite struct LiveGenerationTests {
    let directory = TemporaryDirectory()

    func service(_ synthesizer: TwoPieceSynthesizer) throws -> VoiceService {
        VoiceService(
            store: try AssetStore.open(directory: DataDirectory(root: directory.path)), synthesizer: synthesizer,
            dailyCharacterBudget: nil)
    }

    static func request(_ text: String, book: String = "b") throws -> VoiceRequest {
        VoiceRequest(spec: try SpeechSpec(text: text, voiceId: "v"), who: .init(bookId: .book(book)))
    }

    static func live(_ answer: VoiceService.Answer) throws -> (LiveGeneration, Task<VoiceService.Outcome, any Error>) {
        guard case let .live(generation, _, outcome) = answer else { throw VoiceError.synthesizerFailed("expected a live answer") }
        return (generation, outcome)
    }

    static func collect(_ generation: LiveGeneration) async throws -> [UInt8] {
        var bytes = [UInt8]()
        for try await piece in generation.pieces() { bytes += piece.audio }
        return bytes
    }

    @Test func everyRequesterReadsOneGenerationFromByteZeroEvenWhenJoiningLate() async throws {
        let synthesizer = TwoPieceSynthesizer()
        let voice = try service(synthesizer)
        let (first, firstOutcome) = try Self.live(try await voice.answer(try Self.request("Hello there.")))
        try await first.firstAudio()
        // A second requester (another book) joins after the first piece was staged.
        let (second, secondOutcome) = try Self.live(try await voice.answer(try Self.request("Hello there.", book: "c")))
        #expect(second === first)
        let reading = Task { try await Self.collect(second) }
        synthesizer.between.open()
        let heard = try await reading.value
        #expect(heard == TwoPieceSynthesizer.audio(try SpeechSpec(text: "Hello there.", voiceId: "v")))
        #expect(try await Self.collect(first) == heard)
        let outcome = try await firstOutcome.value
        #expect(outcome.cached == false && outcome.timings != nil)
        let joined = try await secondOutcome.value
        #expect(joined.record.bookIds == ["b", "c"])
        #expect(synthesizer.calls.withLock { $0 } == 1)
        // Published whole, with its timings; the temp file is gone.
        #expect(try FileSystem.readFile(voice.store.directory.audioFile(book: .book("c"), hash: outcome.hash, format: OutputFormat.default)) == heard)
        #expect(try voice.store.index.alignment(for: outcome.hash)?.text == "Hello there.")
        #expect(try FileSystem.contents(of: voice.store.directory.temporary).isEmpty)
        // Now a hit.
        guard case .stored = try await voice.answer(try Self.request("Hello there.")) else {
            Issue.record("expected a hit")
            return
        }
    }

    @Test func aFailureAfterAPieceWasHeardEndsEveryStreamAndStoresNothing() async throws {
        let synthesizer = TwoPieceSynthesizer()
        synthesizer.failing.withLock { $0 = true }
        let voice = try service(synthesizer)
        let (generation, outcome) = try Self.live(try await voice.answer(try Self.request("Cut short.")))
        var iterator = generation.pieces().makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first?.audio.isEmpty == false, "the first piece is heard")
        synthesizer.between.open()
        await #expect(throws: VoiceError.self) { _ = try await iterator.next() }
        await #expect(throws: VoiceError.self) { _ = try await outcome.value }
        let hash = try SpeechSpec(text: "Cut short.", voiceId: "v").contentHash
        #expect(try voice.store.record(for: hash) == nil)
        #expect(try FileSystem.contents(of: voice.store.directory.temporary).isEmpty)
        // Errors are not cached: the next request generates again.
        synthesizer.failing.withLock { $0 = false }
        let again = try await voice.voice(try Self.request("Cut short."))
        #expect(again.cached == false)
        #expect(synthesizer.calls.withLock { $0 } == 2)
    }

    @Test func differentHashesGenerateIndependently() async throws {
        let synthesizer = TwoPieceSynthesizer()
        let voice = try service(synthesizer)
        let (a, _) = try Self.live(try await voice.answer(try Self.request("One.")))
        let (b, _) = try Self.live(try await voice.answer(try Self.request("Two.")))
        #expect(a !== b)
        #expect(await voice.flightsInProgress == 2)
        synthesizer.between.open()
        _ = try await Self.collect(a)
        _ = try await Self.collect(b)
    }

    /// What another node relays: every piece from byte 0, a quiet step while nothing happens, a restart passed
    /// on (following does not make the generation heard, so it can still start over), then live to the end.
    @Test func aRelayFollowsPiecesQuietAndRestarts() async throws {
        let store = try AssetStore.open(directory: DataDirectory(root: directory.path))
        let hash = try SpeechSpec(text: "Relayed.", voiceId: "v").contentHash
        let generation = LiveGeneration(hash: hash)
        let file = try store.stage(hash)
        generation.attach(file)
        try file.append([1, 2, 3])
        generation.appended(end: file.size, alignment: nil)
        var steps = generation.relaySteps(quietAfter: .milliseconds(20)).makeAsyncIterator()
        #expect(try await steps.next() == .piece(SynthesisPiece(audio: [1, 2, 3], alignment: nil)))
        #expect(try await steps.next() == .quiet)
        #expect(generation.restartIfUnheard(), "a relay's reading is not hearing")
        try file.restart()
        #expect(try await steps.next() == .restart)
        try file.append([7, 8])
        generation.appended(end: file.size, alignment: nil)
        #expect(try await steps.next() == .piece(SynthesisPiece(audio: [7, 8], alignment: nil)))
        let record = AssetRecord(
            contentHash: hash.hex, bookIds: ["b"], voiceId: "v", modelId: "m", outputFormat: "mp3_44100_128", byteSize: 2,
            sha256: SHA256Digest.of([7, 8]).hex, durationSeconds: 0, wordCount: 1, characterCount: 8, createdAt: 0)
        generation.end(.success(.init(record: record, timings: .init(), attempts: 1, generated: true)))
        #expect(try await steps.next() == nil)
        file.discard()
    }

    /// A generation that fails while a relay follows it ends the relay with its error.
    @Test func aRelayEndsWithTheGenerationsFailure() async throws {
        let generation = LiveGeneration(hash: try SpeechSpec(text: "Failing.", voiceId: "v").contentHash)
        var steps = generation.relaySteps(quietAfter: .seconds(60)).makeAsyncIterator()
        let next = Task { try await steps.next() }
        generation.end(.failure(VoiceError.synthesizerFailed("cut off")))
        await #expect(throws: VoiceError.self) { _ = try await next.value }
    }
}

/// Long text: every chunk's frames in order, none of their headers.
@Suite struct ChunkedStreamingTests {
    struct XingSilence: SpeechSynthesizer {
        func synthesize(_ spec: SpeechSpec) async throws -> Generation {
            let mp3 = try InspectedMP3(
                Array("ID3".utf8) + [4, 0, 0, 0, 0, 0, 6] + [UInt8](repeating: 0, count: 6)
                    + SilentMP3.make(frames: 8, xingHeader: true))
            return Generation(mp3: mp3, requestId: nil, characterCost: 1, attempts: 1, alignment: nil)
        }
    }

    @Test func theJoinedFileIsEveryChunksFramesWithNoHeaderInTheMiddle() async throws {
        let chunking = ChunkingSynthesizer(base: XingSilence(), limit: { _ in 12 })
        let generation = try await chunking.synthesize(try SpeechSpec(text: "One, two. Three four. Five six.", voiceId: "v"))
        #expect(generation.info.audioFrameCount == 3 * 8)
        #expect(generation.info.audioOffset == 0, "no ID3 tag or Xing frame in front")
        #expect(generation.info.durationSource == .frameWalk)
        #expect(generation.alignment == nil)
        // Within the limit, the bytes pass through unchanged, headers and all.
        let single = try await chunking.synthesize(try SpeechSpec(text: "Short.", voiceId: "v"))
        #expect(single.info.durationSource == .xingHeader && single.info.id3v2Length == 16)
    }
}
