import Foundation
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// The cluster's quota, pins and purges over in-process nodes on the real engines: least recently heard across
/// every node goes first, pinned books are kept, and whatever goes, goes from the catalog, the blob store and
/// the nodes' copies.
@Suite struct ClusterQuotaTests {
    static func spec(_ text: String) throws -> SpeechSpec { try ClusterVoiceTests.spec(text) }

    @Test func theLeastRecentlyHeardOnAnyNodeGoesFirstAndPinsAreKept() async throws {
        let synthesizer = GatedSynthesizer(open: true)
        try await ClusterVoiceTests.withNodes(2, synthesizer: synthesizer) { nodes, blobs in
            let (a, b, c) = (try Self.spec("Asset A."), try Self.spec("Asset B."), try Self.spec("Asset C."))
            let first = try await nodes[0].voice.voice(a, bookId: .book("b"))
            let second = try await nodes[0].voice.voice(b, bookId: .book("b"))
            let third = try await nodes[0].voice.voice(c, bookId: .book("b"))
            _ = try await nodes[0].voice.voice(c, bookId: .book("pinned"))
            let size = first.record.byteSize
            let cluster = try #require(nodes[0].voice.cluster)
            #expect(try await cluster.pin(.book("pinned"), at: Date().timeIntervalSince1970))
            #expect(try await !cluster.pin(.book("pinned"), at: Date().timeIntervalSince1970), "pinning twice changes nothing")
            #expect(try await nodes[1].voice.cluster?.pinnedBooks().map(\.bookId) == ["pinned"])
            // A, the oldest, is heard on the other node: that node's hearing reaches the catalog.
            let hit = try await nodes[1].voice.voice(a, bookId: .book("b"))
            #expect(hit.cached)
            try await BlockingIO.run { try nodes[1].voice.eviction.flushHeard() }
            try await #require(nodes[1].voice.clusterQuota).pushHeard()
            let quota = try #require(nodes[0].voice.clusterQuota)
            let limit = 3 * size - 1
            let plan = try await quota.run(limit: limit, dryRun: true)
            #expect(plan.evicted == [b.contentHash.hex] && plan.bytesBefore == 3 * size)
            #expect(try await cluster.totals().assets == 3, "a dry run removes nothing")
            let result = try await quota.run(limit: limit)
            #expect(result.evicted == [b.contentHash.hex] && result.bytesAfter == 2 * size && !result.targetUnreachable)
            #expect(try await cluster.totals().assets == 2)
            #expect(try nodes[0].store.record(for: b.contentHash) == nil, "the evicting node's copy is gone")
            let blob = try #require(SHA256Digest(hex: second.record.sha256))
            let sharedBlob = [first.record.sha256, third.record.sha256].contains(second.record.sha256)
            #expect(try await blobs.base.size(of: blob) == nil || sharedBlob, "its blob is gone unless another asset names it")
            // Below what the pinned book holds, everything unpinned goes and the target is said to be out of reach.
            let tight = try await quota.run(limit: size / 2)
            #expect(tight.evicted == [a.contentHash.hex] && tight.targetUnreachable)
            #expect(try await cluster.totals().assets == 1)
            #expect(try await cluster.unpin(.book("pinned")))
            #expect(try await cluster.pinnedBooks().isEmpty)
        }
    }

    /// Each eviction decides under the asset's lock: heard after it was planned, or pinned meanwhile, it stays.
    @Test func anAssetHeardOrPinnedSinceThePlanIsKept() async throws {
        let synthesizer = GatedSynthesizer(open: true)
        try await ClusterVoiceTests.withNodes(1, synthesizer: synthesizer) { nodes, _ in
            let spec = try Self.spec("Heard after the plan.")
            let made = try await nodes[0].voice.voice(spec, bookId: .book("b"))
            let cluster = try #require(nodes[0].voice.cluster)
            let planned = made.record.createdAt
            try await cluster.recordHeard([spec.contentHash: planned + 5])
            #expect(try await cluster.evict(spec.contentHash, plannedLastHeard: planned) == .kept)
            #expect(try await cluster.pin(.book("b"), at: 1))
            #expect(try await cluster.evict(spec.contentHash, plannedLastHeard: planned + 10) == .kept)
            #expect(try await cluster.unpin(.book("b")))
            guard case .evicted = try await cluster.evict(spec.contentHash, plannedLastHeard: planned + 10) else {
                Issue.record("neither heard since nor pinned: evicted")
                return
            }
            #expect(try await cluster.evict(spec.contentHash, plannedLastHeard: planned + 10) == .absent)
        }
    }

    /// One node at a time is the evictor; another takes the role when the holder gives it up.
    @Test func oneNodeAtATimeIsTheEvictor() async throws {
        try await ClusterVoiceTests.withNodes(2, synthesizer: GatedSynthesizer(open: true)) { nodes, _ in
            let quotas = try nodes.map { try #require($0.voice.clusterQuota) }
            #expect(try await quotas[0].holdsEvictorRole())
            #expect(try await quotas[0].holdsEvictorRole(), "the holder keeps it")
            #expect(try await !quotas[1].holdsEvictorRole())
            await quotas[0].releaseRole()
            #expect(try await quotas[1].holdsEvictorRole())
            await quotas[1].releaseRole()
        }
    }

    /// A purge filters the catalog, not one node's copies: what it matches goes from every node.
    @Test func aPurgeOnOneNodeRemovesWhatTheCatalogMatches() async throws {
        let synthesizer = GatedSynthesizer(open: true)
        try await ClusterVoiceTests.withNodes(2, synthesizer: synthesizer) { nodes, _ in
            let kept = try SpeechSpec(text: "Another voice.", voiceId: "voice2", modelId: "eleven_multilingual_v2")
            _ = try await nodes[1].voice.voice(kept, bookId: .book("b"))
            for index in 0..<3 { _ = try await nodes[1].voice.voice(try Self.spec("Purged \(index)."), bookId: .book("b")) }
            let dry = try await nodes[0].voice.purge(AssetFilter(voiceId: "voice1"), dryRun: true)
            #expect(dry.matched == 3 && dry.removal.assetsRemoved == 0)
            let purged = try await nodes[0].voice.purge(AssetFilter(voiceId: "voice1"), dryRun: false)
            #expect(purged.matched == 3 && purged.removal.assetsRemoved == 3)
            let cluster = try #require(nodes[0].voice.cluster)
            #expect(try await cluster.totals().assets == 1)
            #expect(try await nodes[0].voice.voice(kept, bookId: .book("b")).cached)
            // A book's purge unlinks that book only.
            _ = try await nodes[1].voice.voice(kept, bookId: .book("other"))
            let unlinked = try await nodes[0].voice.purge(AssetFilter(bookId: .book("other")), dryRun: false)
            #expect(unlinked.matched == 1 && unlinked.removal.assetsRemoved == 0)
            #expect(try await cluster.hashes(forBook: .book("b")) == [kept.contentHash])
        }
    }
}
