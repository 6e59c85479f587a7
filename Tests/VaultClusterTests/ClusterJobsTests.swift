import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// Pre-generation jobs on a cluster of `serve` processes: submitted through any node, run once by the one node
/// holding the runner's lease, answered by every node, and finished by another node when the runner dies.
@Suite struct ClusterJobsTests {
    static let admin = "cluster-jobs-admin"
    static let environment = ["VOICEVAULT_ADMIN_TOKEN": admin, "VOICEVAULT_METRICS_PUBLIC": "true"]

    static func submit(_ testbed: ClusterTestbed, chapters: Int, through node: Int) async throws -> String {
        let manifest: [String: Any] = [
            "bookId": "cluster-book",
            "chapters": (0..<chapters).map { ["chapterId": "ch-\($0)", "text": "Chapter \($0) of the book the cluster makes."] },
            "voices": [ClusterServeTests.voice],
        ]
        let created = try await httpRequest(
            "POST", testbed.nodes[node].baseURL + "/admin/jobs",
            headers: ["authorization": "Bearer \(admin)", "content-type": "application/json"],
            body: String(decoding: try JSONSerialization.data(withJSONObject: manifest), as: UTF8.self))
        #expect(created.status == 201, "\(created.body)")
        return try #require(json(created.body)["id"] as? String)
    }

    static func progress(_ testbed: ClusterTestbed, _ id: String, on node: Int) async throws -> [String: Any] {
        let answer = try await httpRequest(
            "GET", testbed.nodes[node].baseURL + "/admin/jobs/\(id)", headers: ["authorization": "Bearer \(admin)"])
        return json(answer.body)
    }

    /// The nodes (of `among`, all when nil) whose `/metrics` say they run jobs now.
    static func runners(_ testbed: ClusterTestbed, among: [Int]? = nil) async throws -> [Int] {
        var running: [Int] = []
        for (index, node) in testbed.nodes.enumerated() where among?.contains(index) ?? true {
            let metrics = try await httpRequest("GET", node.baseURL + "/metrics").body
            if metrics.contains("voicevault_job_runner_active 1") { running.append(index) }
        }
        return running
    }

    @Test func aJobSubmittedThroughAnyNodeRunsOnceOnTheCluster() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 2, environment: Self.environment)
        try await waitUntil("one node runs the cluster's jobs") { try await Self.runners(testbed).count == 1 }
        let id = try await Self.submit(testbed, chapters: 3, through: 1)
        try await waitUntil("the job is done, as node 0 sees it") {
            try await Self.progress(testbed, id, on: 0)["status"] as? String == "done"
        }
        for node in 0..<2 {
            let progress = try await Self.progress(testbed, id, on: node)
            #expect(progress["generated"] as? Int == 3 && progress["failed"] as? Int == 0 && progress["pending"] as? Int == 0)
        }
        #expect(try await testbed.upstreamCalls() == 3)
        #expect(try await Self.runners(testbed).count == 1, "one runner, however many nodes")
        await testbed.stop()
    }

    /// The runner is SIGKILLed in the middle of a job: its lease dies with its catalog session, the other node
    /// takes the role over and finishes the job, every item once (the one in flight may be paid again).
    @Test func anotherNodeFinishesTheJobWhenTheRunnerDies() async throws {
        let testbed = try await ClusterTestbed.start(nodes: 2, environment: Self.environment)
        try await ClusterServeTests.script(testbed, Array(repeating: "latency:700", count: 8))
        var runner = -1
        try await waitUntil("one node runs the cluster's jobs") {
            let running = try await Self.runners(testbed)
            runner = running.first ?? -1
            return running.count == 1
        }
        let id = try await Self.submit(testbed, chapters: 5, through: runner)
        try await waitUntil("the runner has finished an item") {
            (try await Self.progress(testbed, id, on: runner)["generated"] as? Int ?? 0) >= 1
        }
        kill(testbed.nodes[runner].process.processIdentifier, SIGKILL)
        let survivor = 1 - runner
        try await waitUntil("the other node takes the role over", timeout: .seconds(30)) {
            try await Self.runners(testbed, among: [survivor]) == [survivor]
        }
        try await waitUntil("the job is done", timeout: .seconds(60)) {
            try await Self.progress(testbed, id, on: survivor)["status"] as? String == "done"
        }
        // Every item done once: an item whose audio the runner had shared before it was killed, but not yet
        // recorded as done, is a hit for the survivor (paid once, counted as cached).
        let progress = try await Self.progress(testbed, id, on: survivor)
        let (generated, cached) = (progress["generated"] as? Int ?? -1, progress["cached"] as? Int ?? -1)
        #expect(generated + cached == 5 && generated >= 4 && progress["failed"] as? Int == 0, "\(progress)")
        let calls = try await testbed.upstreamCalls()
        #expect(calls == 5 || calls == 6, "each item once, the one in flight at the kill perhaps twice: \(calls)")
        await testbed.stop()
    }
}
