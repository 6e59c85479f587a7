import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct LeastRecentlyUsedBudgetTests {
    @Test func admitsUntilFullThenEvictsOldestFirst() {
        var lru = LeastRecentlyUsedBudget<String>(capacity: 100, entryLimit: 60)
        let r1 = lru.admit("a", cost: 40)
        #expect(r1 == [])
        let r2 = lru.admit("b", cost: 40)
        #expect(r2 == [])
        #expect(lru.used == 80)
        let r3 = lru.admit("c", cost: 30)
        #expect(r3 == ["a"])
        #expect(lru.keysByRecency == ["c", "b"])
        #expect(lru.used == 70)
        // Needs 60 of 100 with 70 used: both older ones go, oldest first.
        let r4 = lru.admit("d", cost: 60)
        #expect(r4 == ["b"])
        #expect(lru.used == 90)
        let r5 = lru.admit("e", cost: 50)
        #expect(r5 == ["c", "d"])
        #expect(lru.keysByRecency == ["e"])
    }

    @Test func touchProtectsAnEntryFromEviction() {
        var lru = LeastRecentlyUsedBudget<Int>(capacity: 30, entryLimit: 30)
        _ = lru.admit(1, cost: 10)
        _ = lru.admit(2, cost: 10)
        _ = lru.admit(3, cost: 10)
        let r6 = lru.touch(1)
        #expect(r6)
        #expect(lru.keysByRecency == [1, 3, 2])
        let r7 = lru.admit(4, cost: 10)
        #expect(r7 == [2])
        let r8 = lru.touch(3)
        #expect(r8)
        let r9 = lru.admit(5, cost: 10)
        #expect(r9 == [1])
        #expect(lru.keysByRecency == [5, 3, 4])
        let r10 = lru.touch(99)
        #expect(!r10)
    }

    @Test func refusesEntriesOverTheLimitWithoutEvicting() {
        var lru = LeastRecentlyUsedBudget<String>(capacity: 100, entryLimit: 25)
        _ = lru.admit("small", cost: 25)
        let r11 = lru.admit("big", cost: 26)
        #expect(r11 == nil)
        let r12 = lru.admit("negative", cost: -1)
        #expect(r12 == nil)
        #expect(lru.keysByRecency == ["small"])
        #expect(!lru.admits(cost: 26))
        #expect(lru.admits(cost: 0))
    }

    @Test func entryLimitNeverExceedsCapacityAndZeroCapacityHoldsNothingButFree() {
        var tiny = LeastRecentlyUsedBudget<String>(capacity: 10, entryLimit: 1000)
        #expect(tiny.entryLimit == 10)
        let r13 = tiny.admit("x", cost: 11)
        #expect(r13 == nil)
        var off = LeastRecentlyUsedBudget<String>(capacity: 0, entryLimit: 100)
        let r14 = off.admit("x", cost: 1)
        #expect(r14 == nil)
        #expect(off.count == 0)
    }

    @Test func readmittingReplacesTheCostAndRemoveFrees() {
        var lru = LeastRecentlyUsedBudget<String>(capacity: 100, entryLimit: 100)
        _ = lru.admit("a", cost: 10)
        _ = lru.admit("b", cost: 10)
        let r15 = lru.admit("a", cost: 50)
        #expect(r15 == [])
        #expect(lru.used == 60)
        #expect(lru.keysByRecency == ["a", "b"])
        let r16 = lru.remove("b")
        #expect(r16)
        let r17 = lru.remove("b")
        #expect(!r17)
        #expect(lru.used == 50)
        #expect(lru.keysByRecency == ["a"])
        let r18 = lru.remove("a")
        #expect(r18)
        #expect(lru.keysByRecency == [])
        #expect(lru.used == 0)
        // The list is sound after emptying.
        _ = lru.admit("c", cost: 1)
        _ = lru.admit("d", cost: 1)
        #expect(lru.keysByRecency == ["d", "c"])
    }

    /// A long random run against a naive model: same keys held, same order, same bytes used.
    @Test func agreesWithANaiveModelOverARandomRun() {
        var lru = LeastRecentlyUsedBudget<Int>(capacity: 1000, entryLimit: 300)
        var model: [(key: Int, cost: Int)] = []  // newest first
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let key = Int.random(in: 0..<40, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0:
                let cost = Int.random(in: 0...350, using: &generator)
                let evicted = lru.admit(key, cost: cost)
                if cost > 300 {
                    #expect(evicted == nil)
                } else {
                    model.removeAll { $0.key == key }
                    var expected: [Int] = []
                    while model.reduce(0, { $0 + $1.cost }) + cost > 1000, let last = model.popLast() {
                        expected.append(last.key)
                    }
                    model.insert((key, cost), at: 0)
                    #expect(evicted == expected)
                }
            case 1:
                let held = model.firstIndex { $0.key == key }
                let r19 = lru.touch(key)
                #expect(r19 == (held != nil))
                if let held { model.insert(model.remove(at: held), at: 0) }
            default:
                let held = model.firstIndex { $0.key == key }
                let r20 = lru.remove(key)
                #expect(r20 == (held != nil))
                if let held { model.remove(at: held) }
            }
            #expect(lru.keysByRecency == model.map(\.key))
            #expect(lru.used == model.reduce(0) { $0 + $1.cost })
        }
    }

    @Test func reservedBytesCountAgainstTheCapacity() {
        var lru = LeastRecentlyUsedBudget<String>(capacity: 100, entryLimit: 100)
        _ = lru.admit("a", cost: 40)
        _ = lru.admit("b", cost: 40)
        // Bytes held outside the budget (evicted but still in use) leave less room: a goes for c.
        #expect(lru.admit("c", cost: 40, reserved: 20) == ["a"])
        #expect(Set(lru.keysByRecency) == ["b", "c"])
        // Even evicting everything would not make room beside what is reserved: refused, nothing evicted.
        #expect(lru.admit("d", cost: 30, reserved: 80) == nil)
        #expect(lru.used == 80 && lru.count == 2)
        #expect(lru.admit("e", cost: 20, reserved: 70) == ["b", "c"])
        #expect(lru.used == 20)
    }
}
