import Foundation
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

        init(catalog: CatalogURL, blobs: S3BlobStore, synthesizer: any SpeechSynthesizer, name: String, dailyLimit: Int? = nil) throws {
            store = try AssetStore.open(directory: DataDirectory(root: directory.path))
            client = PostgresClient(configuration: catalog.clientConfiguration, backgroundLogger: ClusterVoiceTests.logger)
            let cluster = ClusterNodeStore(
                local: store, catalog: PostgresAssetCatalog(client: client, logger: ClusterVoiceTests.logger), blobs: blobs,
                flights: PostgresFlightLock(catalog: catalog, nodeURL: "http://\(name)", logger: ClusterVoiceTests.logger),
                logger: ClusterVoiceTests.logger)
            voice = VoiceService(
                store: store, synthesizer: synthesizer, dailyCharacterBudget: dailyLimit,
                spendCounters: PostgresSpendCounters(client: client, logger: ClusterVoiceTests.logger), cluster: cluster)
        }
    }

    /// Runs `body` with `count` nodes whose pools run for its length.
    static func withNodes<T: Sendable>(
        _ count: Int, synthesizer: any SpeechSynthesizer, dailyLimit: Int? = nil, _ body: @Sendable ([Node]) async throws -> T
    ) async throws -> T {
        let url = try await PostgreSQL.shared().createDatabase()
        try await withCatalog(url) { client, _ in _ = try await CatalogMigrator.migrate(client, logger: Self.logger) }
        let catalog = try CatalogURL(parsing: url)
        let blobs = try await S3BlobStoreTests.store()
        let nodes = try (0..<count).map {
            try Node(catalog: catalog, blobs: blobs, synthesizer: synthesizer, name: "node-\($0)", dailyLimit: dailyLimit)
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { await node.client.run() } }
            defer { group.cancelAll() }
            return try await body(nodes)
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
        try await Self.withNodes(3, synthesizer: synthesizer) { nodes in
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
                bytes.insert(try FileSystem.readFile(node.store.directory.audioFile(book: .book("book-\(number)"), hash: hash)))
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
        try await Self.withNodes(2, synthesizer: synthesizer) { nodes in
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
        try await Self.withNodes(2, synthesizer: synthesizer, dailyLimit: limit) { nodes in
            for number in 0..<2 {
                _ = try await nodes[number].voice.voice(chapters[number], bookId: .book("b"))
            }
            let third = chapters[2]
            await #expect(throws: VoiceError.self) { try await nodes[0].voice.voice(third, bookId: .book("b")) }
            await #expect(throws: VoiceError.self) { try await nodes[1].voice.voice(third, bookId: .book("b")) }
            #expect(synthesizer.entered == 2)
        }
    }
}
