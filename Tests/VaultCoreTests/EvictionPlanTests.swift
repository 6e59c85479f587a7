import Testing
import VaultCore

/// The disk quota's rule, apart from any store: oldest heard first, pinned never, each asset once, down to the
/// target, and a plan that cannot reach it says so.
@Suite struct EvictionPlanTests {
    static func candidate(_ name: String, bytes: Int, heard: Double, pinned: Bool = false) -> EvictionPlan.Candidate {
        .init(hash: .of(name), bytes: bytes, lastHeard: heard, pinned: pinned)
    }

    static let store = [
        candidate("a", bytes: 100, heard: 50),
        candidate("b", bytes: 100, heard: 10),
        candidate("c", bytes: 100, heard: 30, pinned: true),
        candidate("d", bytes: 100, heard: 20),
        candidate("e", bytes: 100, heard: 40),
    ]

    @Test func underTheLimitNothingGoes() {
        for limit in [500, 501, 10_000] {
            let plan = EvictionPlan(candidates: Self.store, storedBytes: 500, limit: limit)
            #expect(plan.evict.isEmpty)
            #expect(plan.bytesAfter == 500)
            #expect(!plan.targetUnreachable)
        }
    }

    @Test func theLeastRecentlyHeardGoFirstDownToTheTargetAndPinnedNever() {
        // Limit 450: target 405, so 100 bytes must go: b (heard 10).
        let one = EvictionPlan(candidates: Self.store, storedBytes: 500, limit: 450)
        #expect(one.evict.map(\.hash) == [.of("b")])
        #expect(one.bytesAfter == 400)
        // Limit 300: target 270, 300 must go: b, d, then (c is pinned) e.
        let three = EvictionPlan(candidates: Self.store, storedBytes: 500, limit: 300)
        #expect(three.evict.map(\.hash) == [.of("b"), .of("d"), .of("e")])
        #expect(three.bytesAfter == 200)
        #expect(!three.evict.contains { $0.pinned })
    }

    @Test func anExplicitTargetIsHonouredButNeverAboveTheLimit() {
        let plan = EvictionPlan(candidates: Self.store, storedBytes: 500, limit: 499, target: 499)
        #expect(plan.evict.map(\.hash) == [.of("b")])
        let clamped = EvictionPlan(candidates: Self.store, storedBytes: 500, limit: 450, target: 10_000)
        #expect(clamped.bytesAfter <= 450)
    }

    @Test func pinnedAudioLargerThanTheTargetIsReported() {
        let plan = EvictionPlan(candidates: Self.store, storedBytes: 500, limit: 50)
        #expect(plan.evict.count == 4)
        #expect(plan.bytesAfter == 100)
        #expect(plan.targetUnreachable)
    }

    @Test func tiesAreBrokenByHashSoAPlanIsReproducible() {
        let tied = (0..<20).map { Self.candidate("t\($0)", bytes: 10, heard: 5) }
        let forward = EvictionPlan(candidates: tied, storedBytes: 200, limit: 100)
        let backward = EvictionPlan(candidates: tied.reversed(), storedBytes: 200, limit: 100)
        #expect(forward == backward)
        #expect(forward.evict.map(\.hash.hex) == forward.evict.map(\.hash.hex).sorted())
        #expect(forward.evict.count == 11)
    }

    @Test func theTargetIsNinetyPercent() {
        #expect(EvictionPlan.target(forLimit: 1000) == 900)
        #expect(EvictionPlan.target(forLimit: 0) == 0)
        #expect(EvictionPlan.target(forLimit: 9) == 9)
    }
}
