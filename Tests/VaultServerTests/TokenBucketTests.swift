import Testing
import VaultTestSupport
@testable import VaultServer

@Suite struct TokenBucketTests {
    @Test func aFullBucketAllowsItsMinuteAtOnceThenTheSteadyRate() {
        var bucket = TokenBucket(perMinute: 60, now: 0)
        for _ in 0..<60 { #expect(bucket.take(now: 0) == .allowed) }
        #expect(bucket.take(now: 0) == .refused(retryAfterSeconds: 1))
        #expect(bucket.take(now: 0.5) == .refused(retryAfterSeconds: 1))
        #expect(bucket.take(now: 1.0) == .allowed, "one token a second at 60 a minute")
        #expect(bucket.take(now: 1.0) == .refused(retryAfterSeconds: 1))
    }

    @Test func retryAfterSaysWhenTheNextTokenComes() {
        var bucket = TokenBucket(perMinute: 2, now: 100)
        #expect(bucket.take(now: 100) == .allowed)
        #expect(bucket.take(now: 100) == .allowed)
        #expect(bucket.take(now: 100) == .refused(retryAfterSeconds: 30))
        #expect(bucket.take(now: 110) == .refused(retryAfterSeconds: 20))
        #expect(bucket.take(now: 130) == .allowed)
    }

    @Test func idleTimeRefillsNoMoreThanTheCapacity() {
        var bucket = TokenBucket(perMinute: 3, now: 0)
        for _ in 0..<3 { _ = bucket.take(now: 0) }
        for _ in 0..<3 { #expect(bucket.take(now: 10_000) == .allowed) }
        #expect(bucket.take(now: 10_000) != .allowed)
    }

    @Test func aClockGoingBackwardsNeitherRefillsNorBreaks() {
        var bucket = TokenBucket(perMinute: 1, now: 50)
        #expect(bucket.take(now: 50) == .allowed)
        #expect(bucket.take(now: 10) == .refused(retryAfterSeconds: 60))
        #expect(bucket.take(now: 110) == .allowed)
    }

    @Test func nonsenseRatesAreAtLeastOneAMinute() {
        var bucket = TokenBucket(perMinute: 0, now: 0)
        #expect(bucket.take(now: 0) == .allowed)
        #expect(bucket.take(now: 0) == .refused(retryAfterSeconds: 60))
    }
}
