/// A fixed set of mutexes picked by key hash: serialises work on the same key (one content hash) without a
/// lock per key and without serialising unrelated keys more than 1 in `count` of the time.
final class StripedLock: Sendable {
    private final class Stripe: Sendable {
        let mutex = PosixMutex()
    }

    private let stripes: [Stripe]

    init(count: Int = 64) {
        stripes = (0..<max(1, count)).map { _ in Stripe() }
    }

    func withLock<T>(for key: SHA256Digest, _ body: () throws -> T) rethrows -> T {
        let stripe = stripes[Int(key.bytes[0]) % stripes.count]
        return try stripe.mutex.withLock { try body() }
    }
}
