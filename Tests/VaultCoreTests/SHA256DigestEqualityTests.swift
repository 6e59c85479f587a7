import Testing
@testable import VaultCore

/// `SHA256Digest.==` compares four words; held to comparing the bytes one by one.
@Suite struct SHA256DigestEqualityTests {
    @Test func equalityIsTheBytesEquality() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let digest = try #require(SHA256Digest(bytes: bytes))
            #expect(digest == (try #require(SHA256Digest(bytes: Array(bytes)))), "same bytes, another array")
            // One byte changed, wherever it is, in any of the four words.
            var changed = bytes
            let at = Int.random(in: 0..<32, using: &generator)
            changed[at] ^= UInt8.random(in: 1...255, using: &generator)
            let other = try #require(SHA256Digest(bytes: changed))
            #expect(digest != other)
            #expect((digest == other) == (bytes == changed))
            #expect(Set([digest, other, digest]).count == 2)
        }
    }
}
