import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct SingleFlightTests {
    actor Counter {
        var value = 0
        func increment() -> Int { value += 1; return value }
    }

    /// Every caller has joined the flight before its work may finish: the gate opens once the flight counts
    /// 200 waiters.
    @Test func concurrentCallersShareOneExecution() async throws {
        let flight = SingleFlight<String, Int>()
        let counter = Counter()
        let gate = Gate()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await flight.run("k") {
                        await gate.wait()
                        return await counter.increment()
                    }.0
                }
            }
            while await flight.snapshot().first?.waiters != 200 { await Task.yield() }
            gate.open()
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: 1, count: 200))
        #expect(await counter.value == 1)
        #expect(await flight.started == 1)
        #expect(await flight.inFlight == 0)
    }

    @Test func errorsAreSharedButNotCached() async throws {
        struct Failed: Error, Equatable {}
        let flight = SingleFlight<String, Int>()
        let counter = Counter()
        let gate = Gate()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    await #expect(throws: Failed.self) {
                        _ = try await flight.run("k") {
                            _ = await counter.increment()
                            await gate.wait()
                            throw Failed()
                        }
                    }
                }
            }
            while await flight.snapshot().first?.waiters != 10 { await Task.yield() }
            gate.open()
        }
        #expect(await counter.value == 1)
        // The next call tries again.
        let (value, role) = try await flight.run("k") { 7 }
        #expect(value == 7)
        #expect(role == .leader)
    }

    @Test func theWorkOutlivesACancelledLeader() async throws {
        let flight = SingleFlight<String, Int>()
        let counter = Counter()
        let gate = Gate()
        let leader = Task {
            try await flight.run("k") {
                await gate.wait()
                return await counter.increment()
            }
        }
        while gate.arrived == 0 { await Task.yield() }
        leader.cancel()
        async let follower = flight.run("k") { -1 }
        while await flight.snapshot().first?.waiters != 2 { await Task.yield() }
        gate.open()
        let (value, role) = try await follower
        #expect(value == 1)
        #expect(role == .follower)
        #expect(await counter.value == 1)
    }

    @Test func differentKeysFlyIndependently() async throws {
        let flight = SingleFlight<Int, Int>()
        async let a = flight.run(1) { 1 }
        async let b = flight.run(2) { 2 }
        #expect(try await a.0 == 1)
        #expect(try await b.0 == 2)
        #expect(await flight.started == 2)
    }
}
