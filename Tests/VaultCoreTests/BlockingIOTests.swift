import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// The blocking-work pool: work blocked in the kernel (here, waiting on a gate) does not keep other work from
/// running to completion while it stays blocked, and everything submitted runs exactly once. (How fast the
/// others finish is the point of the fixed pool, and a measurement, not an assertion: see `BlockingIO`.)
@Suite struct BlockingIOTests {
    @Test func blockedWorkLeavesTheRestOfThePoolFree() async throws {
        let release = DispatchSemaphore(value: 0)
        let blockers = 4  // more than this machine's cores
        var held: [Task<Void, any Error>] = []
        let entered = Tally()
        for _ in 0..<blockers {
            held.append(Task {
                try await BlockingIO.run {
                    entered.add()
                    release.wait()
                }
            })
        }
        try await waitUntil("the blockers are all running") { entered.value == blockers }
        // With every blocker still waiting, other work runs to completion.
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<32 { group.addTask { try await BlockingIO.run { index * 2 } } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.sorted() == (0..<32).map { $0 * 2 })
        for _ in 0..<blockers { release.signal() }
        for task in held { try await task.value }
    }

    @Test func everyItemRunsOnceInAQueueThatWrapsAround() async throws {
        let pool = BlockingThreadPool(threads: 3, name: "test-pool")
        let count = 5_000
        let done = Tally()
        for _ in 0..<count { pool.submit { done.add() } }
        try await waitUntil("every item ran") { done.value == count }
        #expect(done.value == count)
    }

    /// What a finished item captured is released once it ran, not when the queue is next compacted (a
    /// regression the bounded-memory upload test caught: every megabyte batch of an upload stayed alive).
    @Test func aFinishedItemKeepsNothingAlive() async throws {
        final class Payload: Sendable {}
        let pool = BlockingThreadPool(threads: 2, name: "test-pool")
        let ran = Tally()
        weak var released: Payload?
        do {
            let payload = Payload()
            released = payload
            pool.submit { withExtendedLifetime(payload) { ran.add() } }
        }
        try await waitUntil("the item ran") { ran.value == 1 }
        try await waitUntil("the item's capture was released") { released == nil }
    }

    @Test func errorsComeBackToTheCaller() async {
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await BlockingIO.run { throw Boom() } }
    }
}
