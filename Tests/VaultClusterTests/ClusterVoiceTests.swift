import Foundation
import Synchronization
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// Several nodes in one test process, each with its own data directory and catalog pool, over one real
/// PostgreSQL and one real S3 store: the voice service's promises hold across them.
@Suite struct ClusterVoiceTests {
    static let logger = Logger(label: "cluster-voice-test")

    /// One node: its local store (a cache of the cluster), its pool, its voice service.
    final class Node: Sendable {
        let directory = TemporaryDirectory("vv-node")
        let store: AssetStore
        let voice: VoiceService
        let client: PostgresClient
        let catalog: PostgresAssetCatalog
        let follower: CatalogFollower

        init(catalog: CatalogURL, blobs: any BlobStore, synthesizer: any SpeechSynthesizer, name: String, dailyLimit: Int? = nil) throws {
            store = try AssetStore.open(directory: DataDirectory(root: directory.path))
            client = PostgresClient(configuration: catalog.clientConfiguration, backgroundLogger: ClusterVoiceTests.logger)
            let assets = PostgresAssetCatalog(client: client, logger: ClusterVoiceTests.logger)
            self.catalog = assets
            follower = CatalogFollower(catalogURL: catalog, catalog: assets, local: store, logger: ClusterVoiceTests.logger)
            let cluster = ClusterNodeStore(
                local: store, catalog: assets, blobs: blobs,
                flights: PostgresFlightLock(catalog: catalog, nodeURL: "http://\(name)", logger: ClusterVoiceTests.logger),
                logger: ClusterVoiceTests.logger,
                evictorRole: { try await PostgresLease(catalog: catalog, role: .evictor, logger: ClusterVoiceTests.logger).take() })
            voice = VoiceService(
                store: store, synthesizer: synthesizer, dailyCharacterBudget: dailyLimit,
                spendCounters: PostgresSpendCounters(client: client, logger: ClusterVoiceTests.logger), cluster: cluster)
        }
    }

    /// Runs `body` with `count` nodes whose pools run for its length.
    static func withNodes<T: Sendable>(
        _ count: Int, synthesizer: any SpeechSynthesizer, dailyLimit: Int? = nil, following: Bool = false,
        _ body: @Sendable ([Node], CountingBlobStore) async throws -> T
    ) async throws -> T {
        let url = try await PostgreSQL.shared().createDatabase()
        try await withCatalog(url) { client, _ in _ = try await CatalogMigrator.migrate(client, logger: Self.logger) }
        let catalog = try CatalogURL(parsing: url)
        let blobs = CountingBlobStore(base: try await S3BlobStoreTests.store())
        let nodes = try (0..<count).map {
            try Node(catalog: catalog, blobs: blobs, synthesizer: synthesizer, name: "node-\($0)", dailyLimit: dailyLimit)
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes {
                group.addTask { await node.client.run() }
                if following { group.addTask { await node.follower.run() } }
            }
            defer { group.cancelAll() }
            return try await body(nodes, blobs)
        }
    }

    static func spec(_ text: String = "The same chapter, asked for on every node at once.") throws -> SpeechSpec {
        try SpeechSpec(text: text, voiceId: "voice1", modelId: "eleven_multilingual_v2")
    }

    /// Thirty identical misses spread over three nodes cost one generation; every requester gets the same
    /// record, and every node holds the same bytes.
    @Test func identicalMissesOverThreeNodesCostOneGeneration() async throws {
        let synthesizer = GatedSynthesizer()
        let spec = try Self.spec()
        try await Self.withNodes(3, synthesizer: synthesizer) { nodes, _ in
            let outcomes = try await withThrowingTaskGroup(of: VoiceService.Outcome.self) { group in
                for request in 0..<30 {
                    group.addTask {
                        try await nodes[request % 3].voice.voice(spec, bookId: .book("book-\(request % 3)"))
                    }
                }
                try await waitUntil("one generation reaches the synthesizer") { synthesizer.entered == 1 }
                synthesizer.open()
                var all: [VoiceService.Outcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(synthesizer.entered == 1, "one upstream call for the whole cluster")
            #expect(Set(outcomes.map(\.record.sha256)).count == 1)
            #expect(outcomes.filter { !$0.cached }.count <= 10, "only the generating node's requests were misses")
            let hash = spec.contentHash
            var bytes: Set<[UInt8]> = []
            for (number, node) in nodes.enumerated() {
                let record = try #require(try node.store.record(for: hash))
                #expect(record.bookIds.contains("book-\(number)"))
                bytes.insert(try FileSystem.readFile(node.store.directory.audioFile(book: .book("book-\(number)"), hash: hash, format: OutputFormat.default)))
            }
            #expect(bytes.count == 1)
            // The catalog links every book, and the budget counted one generation.
            let catalog = PostgresAssetCatalog(client: nodes[0].client, logger: Self.logger)
            #expect(try await catalog.record(for: hash)?.bookIds == ["book-0", "book-1", "book-2"])
            #expect(try await nodes[1].voice.budget.spent() == spec.characterCount)
        }
    }

    /// A node that never saw an asset answers it as a hit, from the cluster: no generation, the same record
    /// (its creation time included), and the bytes in its own store.
    @Test func aColdNodeAnswersFromTheCluster() async throws {
        let synthesizer = GatedSynthesizer(open: true)
        let spec = try Self.spec()
        try await Self.withNodes(2, synthesizer: synthesizer) { nodes, _ in
            let made = try await nodes[0].voice.voice(spec, bookId: .book("first"))
            #expect(!made.cached)
            let found = try await nodes[1].voice.voice(spec, bookId: .book("second"))
            #expect(found.cached && synthesizer.entered == 1)
            #expect(found.record.createdAt == made.record.createdAt && found.record.sha256 == made.record.sha256)
            #expect(found.record.bookIds == ["first", "second"])
            // The first node learns of the second book from the catalog when asked for it.
            let again = try await nodes[0].voice.voice(spec, bookId: .book("second"))
            #expect(again.cached && synthesizer.entered == 1)
        }
    }

    /// The daily budget is the cluster's: a node cannot spend what another already has.
    @Test func theBudgetIsSharedByEveryNode() async throws {
        let synthesizer = GatedSynthesizer(open: true)
        let chapters = try (0..<3).map { try Self.spec("Chapter \($0) is exactly as long as the others.") }
        let limit = chapters[0].characterCount * 2
        try await Self.withNodes(2, synthesizer: synthesizer, dailyLimit: limit) { nodes, _ in
            for number in 0..<2 {
                _ = try await nodes[number].voice.voice(chapters[number], bookId: .book("b"))
            }
            let third = chapters[2]
            await #expect(throws: VoiceError.self) { try await nodes[0].voice.voice(third, bookId: .book("b")) }
            await #expect(throws: VoiceError.self) { try await nodes[1].voice.voice(third, bookId: .book("b")) }
            #expect(synthesizer.entered == 2)
        }
    }

    /// A removal through any node is the cluster's: the record first, then the blob, and every other node drops
    /// its copy when the catalog tells it; a reference removed leaves the other books.
    @Test func aRemovalThroughOneNodeReachesEveryNode() async throws {
        let synthesizer = GatedSynthesizer(open: true)
        let spec = try Self.spec("To be removed from every node.")
        let hash = spec.contentHash
        try await Self.withNodes(2, synthesizer: synthesizer, following: true) { nodes, blobs in
            let made = try await nodes[0].voice.voice(spec, bookId: .book("first"))
            _ = try await nodes[1].voice.voice(spec, bookId: .book("second"))
            let blob = try #require(SHA256Digest(hex: made.record.sha256))
            #expect(try await blobs.size(of: blob) == made.record.byteSize)
            // One reference: the other book keeps the asset everywhere.
            let dropped = try await nodes[1].voice.removeReference(hash, from: .book("first"))
            #expect(dropped?.books == ["first"] && dropped?.assetsRemoved == 0)
            // The first node's copy was linked into that book alone (it never served the second), so it goes.
            try await waitUntil("the first node drops the book's link") {
                try nodes[0].store.record(for: hash)?.bookIds.contains("first") != true
            }
            #expect(try nodes[1].store.record(for: hash)?.bookIds == ["second"])
            #expect(!FileManager.default.fileExists(atPath: nodes[0].store.directory.audioFile(book: .book("first"), hash: hash, format: OutputFormat.default)))
            // The asset: the record, then the blob, then every node's copy.
            let removal = try await nodes[0].voice.removeAsset(hash)
            #expect(removal?.assetsRemoved == 1 && removal?.books == ["second"])
            #expect(try await nodes[0].catalog.record(for: hash) == nil)
            #expect(try await blobs.size(of: blob) == nil)
            try await waitUntil("the second node drops its copy") { try nodes[1].store.record(for: hash) == nil }
            #expect(try nodes[0].store.record(for: hash) == nil)
            // Asked again, it is generated again: nothing was left behind to answer from.
            #expect(try await nodes[1].voice.voice(spec, bookId: .book("second")).cached == false)
            #expect(synthesizer.entered == 2)
        }
    }

    /// A node that was not listening when an asset was removed (cut off, or stopped) drops its copy when it
    /// follows the catalog again.
    @Test func aNodeThatMissedARemovalCatchesUpWhenItFollowsAgain() async throws {
        let synthesizer = GatedSynthesizer(open: true)
        let spec = try Self.spec("Removed while the second node was not listening.")
        let hash = spec.contentHash
        try await Self.withNodes(2, synthesizer: synthesizer) { nodes, _ in
            _ = try await nodes[0].voice.voice(spec, bookId: .book("a"))
            _ = try await nodes[1].voice.voice(spec, bookId: .book("b"))
            #expect(try nodes[1].store.record(for: hash)?.bookIds == ["a", "b"])
            _ = try await nodes[0].voice.removeReference(hash, from: .book("a"))
            #expect(try nodes[1].store.record(for: hash)?.bookIds == ["a", "b"], "nobody told the second node yet")
            #expect(try await nodes[1].follower.reconcile() == 1)
            #expect(try nodes[1].store.record(for: hash)?.bookIds == ["b"])
            _ = try await nodes[0].voice.removeBook(.book("b"))
            #expect(try await nodes[1].follower.reconcile() == 1)
            #expect(try nodes[1].store.record(for: hash) == nil)
        }
    }

    /// A burst of cold requests for one asset on one node fetches its blob once.
    @Test func aBurstOfColdRequestsFetchesTheBlobOnce() async throws {
        let synthesizer = GatedSynthesizer(open: true)
        let spec = try Self.spec("Asked for on a cold node by many listeners at once.")
        try await Self.withNodes(2, synthesizer: synthesizer) { nodes, blobs in
            _ = try await nodes[0].voice.voice(spec, bookId: .book("popular"))
            let before = blobs.reads.value
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let found = try await nodes[1].voice.recordWithAlignment(for: spec.contentHash)
                        #expect(found != nil)
                    }
                }
                try await group.waitForAll()
            }
            #expect(blobs.reads.value - before == 1)
        }
    }

    /// The blob store blinks just as a paid generation is shared: the share is tried again, and the generation
    /// is stored and answered, once, instead of lost (Docs/CLUSTER.md, "Nothing paid that cannot be stored").
    @Test func aPaidGenerationSurvivesABlobStoreThatBlinks() async throws {
        let synthesizer = GatedSynthesizer(open: true)
        try await Self.withNodes(1, synthesizer: synthesizer) { nodes, blobs in
            blobs.failingPuts.withLock { $0 = 2 }
            let outcome = try await nodes[0].voice.voice(try Self.spec("Shared on the third try."), bookId: .book("b"))
            #expect(outcome.timings != nil && synthesizer.entered == 1)
            #expect(blobs.puts.value == 3, "two failed puts, then the one that stored it")
            #expect(try await nodes[0].voice.cluster?.totals().assets == 1)
        }
    }
}

/// A blob store that counts the reads it passes on, and fails the next `failingPuts` puts as a store that
/// blinks does.
final class CountingBlobStore: BlobStore {
    let base: any BlobStore
    let reads = Tally()
    let puts = Tally()
    let failingPuts = Mutex(0)
    init(base: any BlobStore) { self.base = base }
    func put(_ bytes: [UInt8], sha256: SHA256Digest) async throws(BlobStoreError) {
        puts.add()
        let fails = failingPuts.withLock { remaining in
            defer { remaining = max(0, remaining - 1) }
            return remaining > 0
        }
        if fails { throw .unavailable("the test's store blinked") }
        try await base.put(bytes, sha256: sha256)
    }
    func read(_ blob: SHA256Digest, range: ClosedRange<Int>?) async throws(BlobStoreError) -> [UInt8]? {
        reads.add()
        return try await base.read(blob, range: range)
    }
    func size(of blob: SHA256Digest) async throws(BlobStoreError) -> Int? { try await base.size(of: blob) }
    func delete(_ blob: SHA256Digest) async throws(BlobStoreError) { try await base.delete(blob) }
    func list() async throws(BlobStoreError) -> [SHA256Digest] { try await base.list() }
}

/// Dialogues and stitched requests on a cluster: the timings with a spoken text and a dialogue's voices travel
/// through the catalog whole, and a node resolves a neighbour another node generated.
@Suite struct ClusterDialogueTests {
    /// Speaks any spec as silence with timings: the written text, a spoken text with digits spelled out, and for
    /// a dialogue one segment per line; remembers what it was asked to say about neighbours.
    final class TimedSynthesizer: SpeechSynthesizer {
        let contexts = Mutex<[StitchingContext?]>([])

        func synthesize(_ spec: SpeechSpec) async throws -> Generation {
            contexts.withLock { $0.append(spec.upstreamContext) }
            var alignment = SpeechAlignment.evenlySpread(spec.text, startMilliseconds: 0, endMilliseconds: 2000)
            alignment.spoken =
                SpeechAlignment.evenlySpread(
                    spec.text.replacingOccurrences(of: "2", with: "two"), startMilliseconds: 0, endMilliseconds: 2000
                ).characters
            if let script = spec.dialogue {
                var start = 0
                alignment.voices = script.lines.enumerated().map { number, line in
                    let count = line.text.unicodeScalars.count
                    defer { start += count + 1 }
                    return .init(
                        voiceId: line.voiceId, startMilliseconds: UInt32(start * 2000 / spec.text.unicodeScalars.count),
                        endMilliseconds: UInt32((start + count) * 2000 / spec.text.unicodeScalars.count), characterStart: start,
                        characterEnd: start + count, line: number)
                }
            }
            return Generation(
                mp3: try InspectedMP3(SilentMP3.make(seconds: 2, xingHeader: true)), requestId: "up-" + spec.contentHash.hex.prefix(8),
                characterCost: spec.characterCount, attempts: 1, alignment: alignment)
        }
    }

    @Test func timingsAndNeighboursTravelThroughTheCatalog() async throws {
        let synthesizer = TimedSynthesizer()
        let scene = try SpeechSpec(
            dialogue: DialogueScript(lines: [("Chapter 2 begins.", "narrator"), ("Does it?", "hero")]), modelId: "eleven_multilingual_v2")
        try await ClusterVoiceTests.withNodes(2, synthesizer: synthesizer) { nodes, _ in
            let made = try await nodes[0].voice.voice(scene, bookId: .book("novel"))
            let hash = made.hash
            // The other node holds nothing yet: it brings the record and the timings in from the cluster.
            let found = try #require(try await nodes[1].voice.recordWithAlignment(for: hash))
            let local = try #require(try await nodes[0].voice.recordWithAlignment(for: hash))
            #expect(found.alignment == local.alignment)
            #expect(found.alignment?.voices?.map(\.voiceId) == ["narrator", "hero"])
            #expect(found.alignment?.spokenText == "Chapter two begins.\nDoes it?")

            // A paragraph after the scene, asked on the other node: its neighbour resolves there, by id.
            let next = try SpeechSpec(
                text: "It did.", voiceId: "narrator", modelId: "eleven_multilingual_v2",
                stitching: RequestStitching(previousAssets: [hash], nextAssets: []))
            _ = try await nodes[1].voice.voice(next, bookId: .book("novel"))
            #expect(
                synthesizer.contexts.withLock { $0.last } == StitchingContext(previousRequestIds: [made.record.upstreamRequestId ?? ""]))
        }
    }
}
