import Testing
import VaultCore

/// The relay's frames: every kind round-trips whatever slices the body arrives in, and every malformed or
/// oversized frame is refused before its bytes are held.
@Suite struct RelayFrameTests {
    static let alignment = SpeechAlignment.evenlySpread("Hello there.", startMilliseconds: 120, endMilliseconds: 980)
    static let frames: [RelayFrame] = [
        .piece(SynthesisPiece(audio: Array(0..<200).map { UInt8($0) }, alignment: alignment)),
        .quiet,
        .piece(SynthesisPiece(audio: [0xFF, 0xFB, 0x90], alignment: nil)),
        .restart,
        .piece(SynthesisPiece(audio: [], alignment: alignment)),
        .failed(code: "upstream_failed", message: "ElevenLabs answered 500 — “bad”"),
        .end,
    ]

    static func body() throws -> [UInt8] { try frames.flatMap { try $0.encoded() } }

    @Test func everyKindRoundTripsInOneSlice() throws {
        var decoder = RelayFrameDecoder()
        #expect(try decoder.feed(try Self.body()) == Self.frames)
        #expect(decoder.pendingBytes == 0)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1000])
    func everyKindRoundTripsInSlicesOf(size: Int) throws {
        let body = try Self.body()
        var decoder = RelayFrameDecoder()
        var decoded: [RelayFrame] = []
        for start in stride(from: 0, to: body.count, by: size) {
            decoded += try decoder.feed(body[start..<min(start + size, body.count)])
        }
        #expect(decoded == Self.frames)
        #expect(decoder.pendingBytes == 0)
    }

    @Test func aFrameCutShortIsPendingNotDecoded() throws {
        let piece = try RelayFrame.piece(SynthesisPiece(audio: [1, 2, 3, 4], alignment: nil)).encoded()
        var decoder = RelayFrameDecoder()
        #expect(try decoder.feed(piece.dropLast()).isEmpty)
        #expect(decoder.pendingBytes == piece.count - 1)
        #expect(try decoder.feed(piece.suffix(1)) == [.piece(SynthesisPiece(audio: [1, 2, 3, 4], alignment: nil))])
    }

    @Test func anUnknownKindIsRefused() {
        var decoder = RelayFrameDecoder()
        #expect(throws: RelayFrameError.unknownKind(9)) { _ = try decoder.feed([4, 9]) }
    }

    /// A length over the bound is refused from the header alone: the decoder never waits to hold it.
    @Test func anOversizedPieceIsRefusedFromItsHeader() {
        var header: [UInt8] = [1]
        for value in [UInt32(RelayFrame.maximumAudioBytes + 1), 0] {
            header += [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        var decoder = RelayFrameDecoder()
        #expect(throws: RelayFrameError.tooLarge("audio", RelayFrame.maximumAudioBytes + 1)) { _ = try decoder.feed(header) }
        var alignmentHeader: [UInt8] = [1, 0, 0, 0, 0]
        let count = UInt32(RelayFrame.maximumAlignmentBytes + 1)
        alignmentHeader += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        var other = RelayFrameDecoder()
        #expect(throws: RelayFrameError.tooLarge("alignment", RelayFrame.maximumAlignmentBytes + 1)) { _ = try other.feed(alignmentHeader) }
    }

    @Test func aBadAlignmentOrTextIsRefused() throws {
        var decoder = RelayFrameDecoder()
        #expect(throws: RelayFrameError.self) { _ = try decoder.feed([1, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]) }
        var text = RelayFrameDecoder()
        #expect(throws: RelayFrameError.notText) { _ = try text.feed([5, 0, 1, 0, 0, 0xFF]) }
    }

    /// A failure's text longer than its field is cut at a scalar boundary, never into invalid UTF-8.
    @Test func aLongFailureIsCutAtAScalar() throws {
        let message = String(repeating: "é", count: 40_000)
        var decoder = RelayFrameDecoder()
        let frames = try decoder.feed(try RelayFrame.failed(code: "x", message: message).encoded())
        guard case let .failed(_, cut) = frames.first else {
            Issue.record("expected a failure frame")
            return
        }
        #expect(cut.utf8.count <= Int(UInt16.max) && cut.utf8.count % 2 == 0 && message.hasPrefix(cut))
    }
}
