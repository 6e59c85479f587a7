import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct StorageIdentifierTests {
    @Test(arguments: [
        "book-1", "B00K_2", "a", "9780140449136", "the.great.gatsby", "550e8400-e29b-41d4-a716-446655440000",
        String(repeating: "x", count: 128),
    ])
    func accepts(value: String) throws {
        #expect(try StorageIdentifier(value, kind: .bookId).value == value)
    }

    @Test(arguments: [
        ("", "must not be empty"),
        (".", "must not start with '.'"),
        ("..", "must not start with '.'"),
        (".hidden", "must not start with '.'"),
        ("a..b", "must not contain '..'"),
        ("a/b", "must not contain '/'"),
        ("../etc", "must not contain '/'"),
        ("a\\b", "may contain only A-Z, a-z, 0-9, '.', '_' and '-'"),
        ("a\u{0}b", "must not contain NUL"),
        ("%2e%2e", "must not contain '%'"),
        ("a%2Fb", "must not contain '%'"),
        ("a b", "may contain only A-Z, a-z, 0-9, '.', '_' and '-'"),
        ("a+b", "may contain only A-Z, a-z, 0-9, '.', '_' and '-'"),
        ("café", "may contain only A-Z, a-z, 0-9, '.', '_' and '-'"),
        ("ａ", "may contain only A-Z, a-z, 0-9, '.', '_' and '-'"),  // full-width look-alike
        ("a\nb", "may contain only A-Z, a-z, 0-9, '.', '_' and '-'"),
        (String(repeating: "x", count: 129), "must be at most 128 characters"),
    ])
    func rejects(value: String, reason: String) {
        #expect(throws: IdentifierError(kind: .bookId, value: value, reason: reason)) {
            try StorageIdentifier(value, kind: .bookId)
        }
    }

    @Test func errorsCarryStableCodesAndPrintableMessages() {
        let error = IdentifierError(kind: .chapterId, value: "a\u{0}b", reason: "must not contain NUL")
        #expect(error.code == "invalid_chapter_id")
        #expect(error.description == "chapterId 'a\\u{0}b' must not contain NUL")
        #expect(IdentifierError(kind: .bookId, value: "", reason: "").code == "invalid_book_id")
    }

    @Test func digestHexIsStrictLowercase() {
        let digest = SHA256Digest.of("abc")
        #expect(digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest(hex: digest.hex) == digest)
        #expect(SHA256Digest(hex: digest.hex.uppercased()) == nil)
        #expect(SHA256Digest(hex: String(digest.hex.dropLast())) == nil)
        #expect(SHA256Digest(hex: String(digest.hex.dropLast()) + "g") == nil)
        #expect(SHA256Digest.of([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
