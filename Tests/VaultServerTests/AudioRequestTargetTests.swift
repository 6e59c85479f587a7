import Testing
@testable import VaultServer

/// Which request targets the download fast path reads itself; everything else is the router's.
@Suite struct AudioRequestTargetTests {
    let hash = String(repeating: "ab", count: 32)

    @Test func thePlainestSpellingIsRead() throws {
        let target = try #require(AudioRequestTarget("/audio/book-1/\(hash).mp3"))
        #expect(target.book == "book-1")
        #expect(target.file == "\(hash).mp3")
        #expect(target.query == nil)
        #expect(target.path == "/audio/book-1/\(hash).mp3")
    }

    @Test func theQueryIsKeptUndecodedAndLeftOutOfThePath() throws {
        let target = try #require(AudioRequestTarget("/audio/b/f.mp3?download=My%20File.mp3&x=1"))
        #expect(target.query == "download=My%20File.mp3&x=1")
        #expect(target.path == "/audio/b/f.mp3")
        #expect(AudioRequestTarget("/audio/b/f.mp3?")?.query == "")
        #expect(AudioRequestTarget("/audio/b/f.mp3??a/b")?.query == "?a/b")
    }

    @Test(arguments: [
        "/audio/", "/audio/b", "/audio/b/", "/audio//f.mp3", "/audio/b/f.mp3/", "/audio/b/c/f.mp3",
        "/audio/b%2D1/f.mp3", "/audio/b/f%2Emp3", "/audio/b/f.mp3#x", "/audio/b c/f.mp3", "/audio/b/f\u{e9}.mp3",
        "/Audio/b/f.mp3", "audio/b/f.mp3", "http://host/audio/b/f.mp3", "/audiox/b/f.mp3", "/", "", "*",
        "/audio/b;x/f.mp3", "/audio/b/f.mp3\u{0}",
    ])
    func everyOtherSpellingIsTheRoutersBusiness(target: String) {
        #expect(AudioRequestTarget(target) == nil)
    }

    @Test func unreservedIsExactlyRFC3986() {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(AudioRequestTarget.isUnreserved(byte) == allowed.contains(byte), "\(byte)")
        }
    }
}
