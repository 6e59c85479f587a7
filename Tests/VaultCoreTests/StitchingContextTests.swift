import Testing
@testable import VaultCore

/// How a stitched request names its neighbours upstream: by upstream's ids inside the window, by their text
/// outside it, and how a long text's chunks stitch to each other.
@Suite struct StitchingContextTests {
    static let now = 1_800_000_000.0
    static let a = SHA256Digest.of("a")
    static let b = SHA256Digest.of("b")

    static func neighbour(ids: String?, age: Double = 60, model: String = "eleven_multilingual_v2", text: String? = "Its text.")
        -> StitchingContext.Neighbour
    {
        .init(upstreamRequestIds: ids, modelId: model, createdAt: now - age, text: text)
    }

    @Test func freshIdsGoUpstreamTheTouchingChunksOnes() throws {
        let context = try StitchingContext.resolve(
            previous: [(Self.a, Self.neighbour(ids: "a1,a2,a3")), (Self.b, Self.neighbour(ids: "b1"))],
            next: [(Self.b, Self.neighbour(ids: "b1,b2"))], model: "eleven_multilingual_v2", nowSeconds: Self.now)
        #expect(context == StitchingContext(previousRequestIds: ["a3", "b1"], nextRequestIds: ["b1"]))
    }

    @Test func aSideWithOneUnusableIdSendsTextForTheWholeSide() throws {
        let windowEdge = StitchingContext.defaultWindowSeconds
        let cases: [(StitchingContext.Neighbour, String)] = [
            (Self.neighbour(ids: "a1", age: windowEdge), "at the window's edge"),
            (Self.neighbour(ids: nil), "no upstream id (offline or imported)"),
            (Self.neighbour(ids: "a1", model: "eleven_v3"), "made by a model that does not stitch by id"),
        ]
        for (stale, why) in cases {
            let context = try StitchingContext.resolve(
                previous: [(Self.a, stale), (Self.b, Self.neighbour(ids: "b1", text: "Second."))], next: [],
                model: "eleven_multilingual_v2", nowSeconds: Self.now)
            #expect(context == StitchingContext(previousText: "Its text. Second."), "\(why)")
        }
        // The request's own model decides too.
        let v3 = try StitchingContext.resolve(
            previous: [], next: [(Self.a, Self.neighbour(ids: "a1"))], model: "eleven_v3", nowSeconds: Self.now)
        #expect(v3 == StitchingContext(nextText: "Its text."))
    }

    @Test func textIsCutToTheCharactersThatTouchTheRequest() throws {
        let long = String(repeating: "x", count: 1_500) + "END"
        let context = try StitchingContext.resolve(
            previous: [(Self.a, Self.neighbour(ids: nil, text: long))], next: [(Self.b, Self.neighbour(ids: nil, text: "START" + long))],
            model: "m", nowSeconds: Self.now)
        #expect(context.previousText?.unicodeScalars.count == StitchingContext.contextCharacters)
        #expect(context.previousText?.hasSuffix("END") == true)
        #expect(context.nextText?.unicodeScalars.count == StitchingContext.contextCharacters)
        #expect(context.nextText?.hasPrefix("START") == true)
    }

    @Test func aNeighbourWithNeitherIdNorTextCannotBeStitched() {
        #expect(throws: StitchingContext.Failure.neighbourWithoutText(Self.a)) {
            try StitchingContext.resolve(
                previous: [(Self.a, Self.neighbour(ids: nil, text: nil))], next: [], model: "m", nowSeconds: Self.now)
        }
    }

    @Test func chunksStitchToTheChunkBeforeAndTheWholeRequestsNeighbours() {
        let whole = StitchingContext(previousRequestIds: ["p"], nextText: "After.")
        #expect(
            ChunkingSynthesizer.context(of: 0, count: 3, whole: whole, previousChunkId: nil) == StitchingContext(previousRequestIds: ["p"]))
        #expect(
            ChunkingSynthesizer.context(of: 1, count: 3, whole: whole, previousChunkId: "c0")
                == StitchingContext(previousRequestIds: ["c0"]))
        #expect(ChunkingSynthesizer.context(of: 1, count: 3, whole: whole, previousChunkId: nil) == nil)
        #expect(
            ChunkingSynthesizer.context(of: 2, count: 3, whole: whole, previousChunkId: "c1")
                == StitchingContext(previousRequestIds: ["c1"], nextText: "After."))
        #expect(ChunkingSynthesizer.context(of: 0, count: 1, whole: nil, previousChunkId: nil) == nil)
    }

    @Test func moreThanThreeOnASideIsRefused() {
        #expect(throws: SpeechSpecError.self) {
            try RequestStitching(previousAssets: [Self.a, Self.b, Self.a, Self.b], nextAssets: [])
        }
        #expect(throws: Never.self) { try RequestStitching(previousAssets: [Self.a, Self.b, Self.a], nextAssets: [Self.b]) }
    }
}
