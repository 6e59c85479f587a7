import Testing
import VaultTestSupport
@testable import ElevenLabs

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(
        maximumAttempts: 4, maximumConcurrencyWaits: 3, baseDelay: 0.5, maximumDelay: 20,
        concurrencyWait: 1)

    @Test(arguments: [
        UpstreamFailure.authentication(status: 401, message: ""), .quotaExceeded(message: ""),
        .voiceNotFound(voiceId: "v", message: ""), .rejected(status: 400, code: "x", message: ""),
        .rejected(status: 422, code: "missing", message: ""),
    ])
    func clientErrorsAreNeverRetried(failure: UpstreamFailure) {
        #expect(!failure.isRetryable)
        #expect(policy.decide(after: failure, failures: 1, concurrencyWaits: 0, unitRandom: 0.5) == .fail)
    }

    @Test(arguments: [
        UpstreamFailure.serverError(status: 500, message: ""), .serverError(status: 503, message: ""), .timeout,
        .connection("reset"), .invalidAudio("truncated"), .busy(retryAfterSeconds: nil),
    ])
    func transientErrorsBackOffExponentiallyWithJitterThenStop(failure: UpstreamFailure) {
        // Full jitter: the ceiling doubles per failure; the random unit picks a point below it.
        #expect(policy.decide(after: failure, failures: 1, concurrencyWaits: 0, unitRandom: 1) == .retry(afterSeconds: 0.5))
        #expect(policy.decide(after: failure, failures: 2, concurrencyWaits: 0, unitRandom: 1) == .retry(afterSeconds: 1))
        #expect(policy.decide(after: failure, failures: 3, concurrencyWaits: 0, unitRandom: 0.5) == .retry(afterSeconds: 1))
        #expect(policy.decide(after: failure, failures: 3, concurrencyWaits: 0, unitRandom: 0) == .retry(afterSeconds: 0))
        #expect(policy.decide(after: failure, failures: 4, concurrencyWaits: 0, unitRandom: 0.5) == .fail)
        #expect(RetryPolicy.countsAsFailure(failure))
    }

    @Test func backoffIsCapped() {
        let long = RetryPolicy(maximumAttempts: 100, baseDelay: 1, maximumDelay: 20)
        #expect(long.decide(after: .timeout, failures: 60, concurrencyWaits: 0, unitRandom: 1) == .retry(afterSeconds: 20))
    }

    @Test func retryAfterIsHonouredForBusyAndConcurrency() {
        #expect(
            policy.decide(after: .busy(retryAfterSeconds: 3), failures: 1, concurrencyWaits: 0, unitRandom: 0.9)
                == .retry(afterSeconds: 3))
        #expect(
            policy.decide(after: .busy(retryAfterSeconds: 300), failures: 1, concurrencyWaits: 0, unitRandom: 0.9)
                == .retry(afterSeconds: 20))
        #expect(
            policy.decide(after: .concurrencyLimited(retryAfterSeconds: 2), failures: 0, concurrencyWaits: 1, unitRandom: 0)
                == .retry(afterSeconds: 2))
    }

    @Test func concurrencyWaitsAreSeparateFromFailuresButBounded() {
        let failure = UpstreamFailure.concurrencyLimited(retryAfterSeconds: nil)
        #expect(!RetryPolicy.countsAsFailure(failure))
        // Jittered around the configured wait.
        #expect(policy.decide(after: failure, failures: 9, concurrencyWaits: 1, unitRandom: 0) == .retry(afterSeconds: 0.5))
        #expect(policy.decide(after: failure, failures: 9, concurrencyWaits: 2, unitRandom: 1) == .retry(afterSeconds: 1.5))
        #expect(policy.decide(after: failure, failures: 0, concurrencyWaits: 3, unitRandom: 0.5) == .fail)
    }
}

@Suite struct ErrorClassifierTests {
    func classify(_ status: Int, _ body: String, retryAfter: String? = nil, ms: String? = nil) -> UpstreamFailure {
        ErrorClassifier.classify(
            status: status, body: Array(body.utf8), retryAfter: retryAfter,
            retryAfterMilliseconds: ms, voiceId: "abc")
    }

    @Test func bothErrorShapesAndEveryStatus() {
        #expect(
            classify(429, #"{"detail":{"status":"too_many_concurrent_requests","message":"m"}}"#)
                == .concurrencyLimited(retryAfterSeconds: nil))
        #expect(
            classify(429, #"{"detail":{"type":"rate_limit","code":"concurrent_limit_exceeded","message":"m"}}"#, retryAfter: "2")
                == .concurrencyLimited(retryAfterSeconds: 2))
        #expect(
            classify(429, #"{"detail":{"status":"system_busy","message":"m"}}"#, ms: "1500")
                == .busy(retryAfterSeconds: 1.5))
        #expect(classify(429, #"{"detail":{"code":"rate_limit_exceeded","message":"m"}}"#) == .busy(retryAfterSeconds: nil))
        #expect(
            classify(401, #"{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}"#)
                == .authentication(status: 401, message: "Invalid API key"))
        #expect(classify(401, #"{"detail":{"status":"quota_exceeded","message":"q"}}"#) == .quotaExceeded(message: "q"))
        #expect(classify(400, #"{"detail":{"status":"quota_exceeded","message":"q"}}"#) == .quotaExceeded(message: "q"))
        #expect(
            classify(403, #"{"detail":{"code":"output_format_not_allowed","message":"plan"}}"#)
                == .authentication(status: 403, message: "plan"))
        #expect(
            classify(404, #"{"detail":{"status":"voice_not_found","message":"A voice with the voice_id abc was not found."}}"#)
                == .voiceNotFound(voiceId: "abc", message: "A voice with the voice_id abc was not found."))
        // A 404 to a request that names no voice (GET /v1/models) is not about a voice.
        #expect(
            ErrorClassifier.classify(
                status: 404, body: Array(#"{"detail":"Not Found"}"#.utf8), retryAfter: nil,
                retryAfterMilliseconds: nil, voiceId: nil) == .notFound(message: "Not Found"))
        #expect(
            classify(422, #"{"detail":[{"type":"missing","loc":["body","text"],"msg":"Field required","input":{}}]}"#)
                == .rejected(status: 422, code: "missing", message: "body.text: Field required"))
        #expect(
            classify(400, #"{"detail":{"status":"max_character_limit_exceeded","message":"too long"}}"#)
                == .rejected(status: 400, code: "max_character_limit_exceeded", message: "too long"))
        #expect(classify(503, "<html>Service Unavailable</html>") == .serverError(status: 503, message: "<html>Service Unavailable</html>"))
        #expect(classify(500, "") == .serverError(status: 500, message: ""))
        #expect(classify(408, "") == .timeout)
    }
}

@Suite struct ConcurrencyLimiterTests {
    actor Log {
        var order: [Int] = []
        var running = 0
        var peak = 0
        func enter(_ id: Int) {
            order.append(id)
            running += 1
            peak = max(peak, running)
        }
        func leave() { running -= 1 }
    }

    @Test func neverExceedsTheLimitAndServesInArrivalOrder() async throws {
        let limiter = ConcurrencyLimiter(limit: 2)
        let log = Log()
        // Hold both permits so every later arrival queues, then enqueue in a known order.
        let gate = AsyncStream<Void>.makeStream()
        let holders = (0..<2).map { id in
            Task {
                try await limiter.withPermit {
                    await log.enter(id)
                    for await _ in gate.stream {}
                    await log.leave()
                }
            }
        }
        while await limiter.inUse < 2 { await Task.yield() }
        var queued = [Task<Void, any Error>]()
        for id in 2..<12 {
            queued.append(
                Task {
                    try await limiter.withPermit {
                        await log.enter(id)
                        try await Task.sleep(for: .milliseconds(2))
                        await log.leave()
                    }
                })
            while await limiter.queued < id - 1 { await Task.yield() }
        }
        gate.continuation.finish()
        for task in holders { try await task.value }
        for task in queued { try await task.value }
        #expect(await log.peak == 2)
        #expect(Array(await log.order.dropFirst(2)) == Array(2..<12))
        #expect(await limiter.inUse == 0)
        #expect(await limiter.queued == 0)
    }

    @Test func aThrowingOperationReleasesItsPermit() async throws {
        struct Boom: Error {}
        let limiter = ConcurrencyLimiter(limit: 1)
        await #expect(throws: Boom.self) { try await limiter.withPermit { throw Boom() } }
        #expect(try await limiter.withPermit { 42 } == 42)
        #expect(await limiter.inUse == 0)
    }

    /// Background work (pre-generation) gets a permit only when nobody waits and one is left for a listener;
    /// with a plan of one, only when the upstream is idle.
    @Test(arguments: [1, 2, 5])
    func backgroundWorkAlwaysLeavesRoomForAListener(limit: Int) async throws {
        let limiter = ConcurrencyLimiter(limit: limit)
        #expect(await limiter.hasRoomForBackground())
        let gate = AsyncStream<Void>.makeStream()
        var holders: [Task<Void, any Error>] = []
        for held in 1...limit {
            holders.append(Task { try await limiter.withPermit { for await _ in gate.stream {} } })
            while await limiter.inUse < held { await Task.yield() }
            #expect(await limiter.hasRoomForBackground() == (held < max(1, limit - 1)), "\(held) of \(limit) in use")
        }
        // Someone waiting: never room, whatever is in use.
        let waiter = Task { try await limiter.withPermit {} }
        while await limiter.queued < 1 { await Task.yield() }
        #expect(await !limiter.hasRoomForBackground())
        gate.continuation.finish()
        for holder in holders { try await holder.value }
        try await waiter.value
        #expect(await limiter.hasRoomForBackground())
    }
}
