import Testing
@testable import VaultCore

/// Player links' tokens: one book, one listener, one key, until they expire, and never a Storage token.
@Suite struct PlayerTokenTests {
    static let secret = Array("a server's signing secret of some length".utf8)
    static let grant = PlayerToken.Grant(bookId: "novel", listener: "user-42", keyId: "key_a", expiresAt: 2_000)

    @Test func aTokenGrantsItsBookAndListenerUntilItExpires() {
        let tokens = PlayerToken(secret: Self.secret)
        let token = tokens.issue(Self.grant, issuedAt: 1_000)
        #expect(tokens.verify(token, bookId: "novel", now: 1_999) == .valid(Self.grant))
        #expect(tokens.verify(token, bookId: "novel", now: 2_000) == .expired)
        #expect(tokens.verify(token, bookId: "other", now: 1_500) == .invalid("token is for another book"))
        #expect(
            PlayerToken(secret: Array("another secret".utf8)).verify(token, bookId: "novel", now: 1_500) == .invalid("invalid signature"))
    }

    @Test func tamperedMalformedAndForeignTokensAreRefused() {
        let tokens = PlayerToken(secret: Self.secret)
        let token = tokens.issue(Self.grant, issuedAt: 1_000)
        let parts = token.split(separator: ".").map(String.init)
        let otherListener = tokens.issue(
            .init(bookId: "novel", listener: "someone-else", keyId: "key_a", expiresAt: 2_000), issuedAt: 1_000
        ).split(separator: ".").map(String.init)
        // The payload of another token under this token's signature.
        #expect(
            tokens.verify([parts[0], otherListener[1], parts[2]].joined(separator: "."), bookId: "novel", now: 1_500)
                == .invalid("invalid signature"))
        for malformed in ["", "a.b", "a.b.c.d", parts[0] + "." + parts[1] + ".!!!", String(repeating: "a", count: 5_000)] {
            if case .valid = tokens.verify(malformed, bookId: "novel", now: 1_500) { Issue.record("accepted \(malformed.prefix(40))") }
        }
        // A Storage signed URL made with the same secret is no player token.
        let storage = SignedURLToken(secret: Self.secret).issue(bucket: "novel", key: "x", expiresAt: 2_000, issuedAt: 1_000)
        #expect(tokens.verify(storage, bookId: "novel", now: 1_500) == .invalid("invalid signature"))
    }
}
