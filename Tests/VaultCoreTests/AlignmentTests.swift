import Foundation
import Testing
@testable import VaultCore
import VaultTestSupport

/// Stored timings: the codec, words and sentences, WebVTT and EPUB media overlays, and merging over chunks.
@Suite struct AlignmentTests {
    static func aligned(_ text: String, millisecondsPerCharacter: UInt32 = 100) -> SpeechAlignment {
        let count = UInt32(text.unicodeScalars.count)
        return SpeechAlignment.evenlySpread(text, startMilliseconds: 0, endMilliseconds: count * millisecondsPerCharacter)
    }

    @Test func codecRoundTripsEveryCharacterAndTime() throws {
        let alignment = Self.aligned("Hé 👩‍💻 שלום\n日本語.")
        let bytes = try SpeechAlignmentCodec.encode(alignment)
        #expect(try SpeechAlignmentCodec.decode(bytes) == alignment)
        #expect(bytes.count == 8 + alignment.characters.reduce(0) { $0 + 9 + $1.text.utf8.count })
        #expect(try SpeechAlignmentCodec.decode(SpeechAlignmentCodec.encode(SpeechAlignment())) == SpeechAlignment())
    }

    /// The spoken text is stored beside the written one (`VVA2`); without it the value is `VVA1`, byte for byte
    /// what it was before the spoken text was kept.
    @Test func codecKeepsTheSpokenTextBesideTheWrittenOne() throws {
        var alignment = Self.aligned("Chapter 5.")
        let written = try SpeechAlignmentCodec.encode(alignment)
        #expect(written.starts(with: Array("VVA1".utf8)))
        alignment.spoken = Self.aligned("Chapter five.").characters
        let both = try SpeechAlignmentCodec.encode(alignment)
        #expect(both.starts(with: Array("VVA2".utf8)))
        #expect(try SpeechAlignmentCodec.decode(both) == alignment)
        #expect(try SpeechAlignmentCodec.decode(both).spokenText == "Chapter five.")
        for cut in 4..<both.count {
            #expect(throws: SpeechAlignmentCodec.Failure.self) { try SpeechAlignmentCodec.decode(Array(both.prefix(cut))) }
        }
        // A VVA1 value followed by anything is damage, not a spoken text.
        #expect(throws: SpeechAlignmentCodec.Failure.truncated) {
            try SpeechAlignmentCodec.decode(written + Array(both.suffix(from: written.count)))
        }
        alignment.spoken = []
        #expect(try SpeechAlignmentCodec.decode(SpeechAlignmentCodec.encode(alignment)) == alignment)
    }

    /// A dialogue's voices are stored with its timings (`VVA3`), with or without the spoken text, and a stream
    /// replay cuts them to each piece's characters.
    @Test func dialogueVoicesAreStoredAndCutIntoPieces() throws {
        var alignment = Self.aligned("Where to?\nHome.")
        alignment.voices = [
            .init(voiceId: "v1", startMilliseconds: 0, endMilliseconds: 900, characterStart: 0, characterEnd: 9, line: 0),
            .init(voiceId: "v2", startMilliseconds: 1000, endMilliseconds: 1500, characterStart: 10, characterEnd: 15, line: 1),
        ]
        let bytes = try SpeechAlignmentCodec.encode(alignment)
        #expect(bytes.starts(with: Array("VVA3".utf8)))
        #expect(try SpeechAlignmentCodec.decode(bytes) == alignment)
        for cut in 4..<bytes.count {
            #expect(throws: SpeechAlignmentCodec.Failure.self) { try SpeechAlignmentCodec.decode(Array(bytes.prefix(cut))) }
        }
        alignment.spoken = alignment.characters
        #expect(try SpeechAlignmentCodec.decode(SpeechAlignmentCodec.encode(alignment)) == alignment)

        // Pieces of one answer: a line cut between two pieces is one segment again.
        var merged = SpeechAlignment()
        merged.append(
            SpeechAlignment(
                characters: Array(alignment.characters[0..<5]),
                voices: [.init(voiceId: "v1", startMilliseconds: 0, endMilliseconds: 500, characterStart: 0, characterEnd: 5, line: 0)]),
            offsetMilliseconds: 0)
        merged.append(
            SpeechAlignment(
                characters: Array(alignment.characters[5...]),
                voices: [
                    .init(voiceId: "v1", startMilliseconds: 500, endMilliseconds: 900, characterStart: 5, characterEnd: 9, line: 0),
                    .init(voiceId: "v2", startMilliseconds: 1000, endMilliseconds: 1500, characterStart: 10, characterEnd: 15, line: 1),
                ]), offsetMilliseconds: 0)
        #expect(
            merged.voices == [
                .init(voiceId: "v1", startMilliseconds: 0, endMilliseconds: 900, characterStart: 0, characterEnd: 9, line: 0),
                .init(voiceId: "v2", startMilliseconds: 1000, endMilliseconds: 1500, characterStart: 10, characterEnd: 15, line: 1),
            ])
    }

    /// Merged over pieces, the spoken text is kept only while every piece with characters brought one.
    @Test func theSpokenTextSurvivesMergingOnlyWhenEveryPieceHadOne() {
        func piece(_ text: String, spoken: String?, from start: UInt32) -> SpeechAlignment {
            var part = SpeechAlignment.evenlySpread(text, startMilliseconds: start, endMilliseconds: start + 100)
            part.spoken = spoken.map { SpeechAlignment.evenlySpread($0, startMilliseconds: start, endMilliseconds: start + 100).characters }
            return part
        }
        var whole = SpeechAlignment()
        whole.append(piece("Page 5", spoken: "Page five", from: 0), offsetMilliseconds: 0)
        whole.append(piece(" ends.", spoken: " ends.", from: 100), offsetMilliseconds: 1000)
        #expect(whole.text == "Page 5 ends.")
        #expect(whole.spokenText == "Page five ends.")
        #expect(whole.spoken?.last?.endMilliseconds == 1200)
        #expect(whole.differingSpoken?.text == "Page five ends.")
        whole.prepend(.init(text: " ", startMilliseconds: 0, endMilliseconds: 0))
        #expect(whole.spokenText == " Page five ends.")

        var holed = SpeechAlignment()
        holed.append(piece("One", spoken: "One", from: 0), offsetMilliseconds: 0)
        holed.append(piece(" 2", spoken: nil, from: 100), offsetMilliseconds: 0)
        holed.append(piece(" three", spoken: " three", from: 200), offsetMilliseconds: 0)
        #expect(holed.spoken == nil)
        var late = SpeechAlignment()
        late.append(piece("One", spoken: nil, from: 0), offsetMilliseconds: 0)
        late.append(piece(" two", spoken: " two", from: 100), offsetMilliseconds: 0)
        #expect(late.spoken == nil)
        // Spoken as written: nothing differs.
        #expect(piece("Same", spoken: "Same", from: 0).differingSpoken == nil)
    }

    @Test func damagedValuesAreErrorsNotCrashes() throws {
        let bytes = try SpeechAlignmentCodec.encode(Self.aligned("Hello"))
        #expect(throws: SpeechAlignmentCodec.Failure.badMagic) { try SpeechAlignmentCodec.decode(Array("XXXX0000".utf8)) }
        for cut in [8, 9, 12, bytes.count - 1] {
            #expect(throws: SpeechAlignmentCodec.Failure.truncated) { try SpeechAlignmentCodec.decode(Array(bytes.prefix(cut))) }
        }
        #expect(throws: SpeechAlignmentCodec.Failure.truncated) { try SpeechAlignmentCodec.decode(bytes + [0]) }
        // A count far beyond what the value holds is refused before anything is allocated for it.
        var huge = bytes
        huge.replaceSubrange(4..<8, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: SpeechAlignmentCodec.Failure.truncated) { try SpeechAlignmentCodec.decode(huge) }
        var badText = bytes
        badText[9] = 0xFF
        #expect(throws: SpeechAlignmentCodec.Failure.invalidUTF8) { try SpeechAlignmentCodec.decode(badText) }
        let long = SpeechAlignment(characters: [.init(text: String(repeating: "a", count: 256), startMilliseconds: 0, endMilliseconds: 1)])
        #expect(throws: SpeechAlignmentCodec.Failure.characterTooLong(256)) { try SpeechAlignmentCodec.encode(long) }
    }

    @Test func elevenLabsArraysBecomeMilliseconds() throws {
        let alignment = try #require(SpeechAlignment(characters: ["a", "b"], startSeconds: [0, 0.1234], endSeconds: [0.1234, 0.3]))
        #expect(alignment.characters.map(\.startMilliseconds) == [0, 123])
        #expect(alignment.characters.map(\.endMilliseconds) == [123, 300])
        #expect(SpeechAlignment(characters: ["a"], startSeconds: [0, 1], endSeconds: [1]) == nil)
        #expect(SpeechAlignment(characters: ["a"], startSeconds: [-1], endSeconds: [1]) == nil)
        #expect(SpeechAlignment(characters: ["a"], startSeconds: [.nan], endSeconds: [1]) == nil)
        #expect(SpeechAlignment(characters: ["a"], startSeconds: [.infinity], endSeconds: [1]) == nil)
    }

    @Test func wordsAndSentencesWithTheirTimes() {
        let text = "Hello, world. \"Is it?\" Yes…\nChapter Two\n\n3.14 is pi. 日本語。です"
        let segments = TimedSegments(Self.aligned(text))
        #expect(
            segments.words.map(\.text) == [
                "Hello,", "world.", "\"Is", "it?\"", "Yes…", "Chapter", "Two", "3.14", "is",
                "pi.", "日本語。です",
            ])
        #expect(
            segments.sentences.map(\.text) == [
                "Hello, world.", "\"Is it?\"", "Yes…", "Chapter Two", "3.14 is pi.",
                "日本語。", "です",
            ])
        let first = segments.sentences[0]
        #expect(first.characterRange == 0..<13)
        #expect(first.startMilliseconds == 0 && first.endMilliseconds == 1300)
        let second = segments.sentences[1]
        #expect(second.startMilliseconds == 1400)
        // Every sentence's text is exactly its characters.
        let characters = Self.aligned(text).characters
        for sentence in segments.sentences {
            #expect(characters[sentence.characterRange].map(\.text).joined() == sentence.text)
        }
        #expect(TimedSegments(SpeechAlignment()).sentences.isEmpty)
        #expect(TimedSegments(Self.aligned("  \n ")).words.isEmpty)
    }

    @Test func webVTTHasOneEscapedCuePerSentence() {
        let vtt = WebVTTDocument.render(TimedSegments(Self.aligned("A <b> & c. Next one!", millisecondsPerCharacter: 400)))
        #expect(
            vtt == """
                WEBVTT

                1
                00:00:00.000 --> 00:00:04.000
                A &lt;b&gt; &amp; c.

                2
                00:00:04.400 --> 00:00:08.000
                Next one!

                """)
        #expect(WebVTTDocument.timestamp(3_723_004) == "01:02:03.004")
    }

    @Test func mediaOverlayPairsSentenceIdsWithClips() {
        let smil = MediaOverlayDocument.render(
            TimedSegments(Self.aligned("One. Two.")), textReference: "ch1.xhtml",
            audioReference: "../audio/b/h.mp3?x=1&y=2")
        #expect(smil.contains(#"<seq id="chapter" epub:textref="ch1.xhtml#chapter">"#))
        #expect(smil.contains(#"<text src="ch1.xhtml#s1"/>"#))
        #expect(smil.contains(#"<audio src="../audio/b/h.mp3?x=1&amp;y=2" clipBegin="0.000s" clipEnd="0.400s"/>"#))
        #expect(smil.contains(#"<text src="ch1.xhtml#s2"/>"#))
        #expect(smil.contains(#"clipBegin="0.500s" clipEnd="0.900s""#))
        #expect(smil.hasPrefix("<?xml") && smil.hasSuffix("</smil>\n"))
    }

    @Test func chunkedSpeechMergesTimingsWithAbsoluteTimes() async throws {
        // Three chunks of one sentence each; the base synthesizer times each chunk from its own zero.
        let chunking = ChunkingSynthesizer(base: TimedSilence(), limit: { _ in 12 })
        let spec = try SpeechSpec(text: "One, two. Three four. Five six.", voiceId: "v")
        let generation = try await chunking.synthesize(spec)
        let alignment = try #require(generation.alignment)
        #expect(alignment.text == "One, two. Three four. Five six.")
        let segments = TimedSegments(alignment)
        #expect(segments.sentences.map(\.text) == ["One, two.", "Three four.", "Five six."])
        // Each chunk's audio is 8 frames of 1152 samples at 44.1 kHz (209 ms): chunk n starts at n x 209 ms.
        #expect(segments.sentences.map(\.startMilliseconds) == [0, 209, 418])
        #expect(alignment.endMilliseconds <= UInt32((generation.info.durationSeconds * 1000).rounded()) + 1)
    }

    @Test func pcmWaveParsesAndJoins() throws {
        let wave = PCMWave(channels: 1, sampleRate: 22050, bitsPerSample: 16, samples: [UInt8](repeating: 1, count: 44100))
        let parsed = try PCMWave(parsing: wave.bytes)
        #expect(parsed == wave)
        #expect(parsed.milliseconds == 1000)
        // A chunk before `fmt ` (as some writers add) is skipped.
        var withList = Array(wave.bytes.prefix(12)) + Array("LIST".utf8) + [3, 0, 0, 0, 9, 9, 9, 0] + Array(wave.bytes.dropFirst(12))
        withList.replaceSubrange(4..<8, with: [0, 0, 0, 0])
        #expect(try PCMWave(parsing: withList) == wave)
        #expect(throws: PCMWave.Failure.notWave) { try PCMWave(parsing: Array("RIFX".utf8)) }
        #expect(throws: PCMWave.Failure.missingChunk("data")) { try PCMWave(parsing: Array(wave.bytes.prefix(36))) }
    }
}

/// Eight silent frames per call, with the characters spread over them from zero.
struct TimedSilence: SpeechSynthesizer {
    func synthesize(_ spec: SpeechSpec) async throws -> Generation {
        let mp3 = try InspectedMP3(SilentMP3.make(frames: 8))
        let end = UInt32((mp3.info.durationSeconds * 1000).rounded())
        return Generation(
            mp3: mp3, requestId: nil, characterCost: 1, attempts: 1,
            alignment: .evenlySpread(spec.text, startMilliseconds: 0, endMilliseconds: end))
    }
}

/// Stored audio cut into timestamped lines for the SDKs' streams.
@Suite struct TimedAudioChunksTests {
    @Test func piecesCoverTheFileAtFrameBoundariesWithTheirCharacters() throws {
        let audio = SilentMP3.make(seconds: 3.2, xingHeader: true)
        let info = try MP3Inspector.inspect(audio)
        let alignment = SpeechAlignment.evenlySpread(String(repeating: "a", count: 32), startMilliseconds: 0, endMilliseconds: 3200)
        let chunks = TimedAudioChunks.plan(audio, info: info, alignment: alignment, targetMilliseconds: 1000)
        #expect(chunks.count == 4)
        #expect(chunks.first?.bytes.lowerBound == 0 && chunks.last?.bytes.upperBound == audio.count)
        for (before, after) in zip(chunks, chunks.dropFirst()) {
            #expect(before.bytes.upperBound == after.bytes.lowerBound)
            // Every cut is at a frame header.
            let at = after.bytes.lowerBound
            #expect(MP3FrameHeader(audio[at], audio[at + 1], audio[at + 2], audio[at + 3]) != nil)
        }
        let characters = chunks.compactMap(\.alignment).flatMap(\.characters)
        #expect(characters == alignment.characters)
        // Each character sits in the piece whose time it starts in.
        #expect(chunks[0].alignment?.characters.count == 10 || chunks[0].alignment?.characters.count == 11)
        #expect(TimedAudioChunks.plan(audio, info: info, alignment: nil).allSatisfy { $0.alignment == nil })
        let short = SilentMP3.make(frames: 3)
        #expect(TimedAudioChunks.plan(short, info: try MP3Inspector.inspect(short), alignment: nil).map(\.bytes) == [0..<short.count])

        // A dialogue's segments are cut to each piece's characters, indices still counting from the start.
        var dialogue = alignment
        dialogue.voices = [
            .init(voiceId: "v1", startMilliseconds: 0, endMilliseconds: 1500, characterStart: 0, characterEnd: 15, line: 0),
            .init(voiceId: "v2", startMilliseconds: 1500, endMilliseconds: 3200, characterStart: 15, characterEnd: 32, line: 1),
        ]
        let pieces = TimedAudioChunks.plan(audio, info: info, alignment: dialogue, targetMilliseconds: 1000)
        var covered = [Int]()
        for piece in pieces {
            let segments = try #require(piece.alignment?.voices)
            for segment in segments {
                #expect(segment.line == (segment.characterStart < 15 ? 0 : 1))
                covered += Array(segment.characterStart..<segment.characterEnd)
            }
        }
        #expect(covered == Array(0..<32))
    }
}
