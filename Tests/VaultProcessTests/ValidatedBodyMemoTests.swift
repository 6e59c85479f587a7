import Foundation
import NIOCore
import Synchronization
import Testing
import VaultTestSupport
@testable import VaultServer

/// The memo of validated bodies: the same answer as validating, failures never held, bounded, and never an
/// answer for audio that was deleted (it holds no audio state at all; the live test deletes and asks again).
@Suite struct ValidatedBodyMemoTests {
    static func body(_ text: String, book: String = "b") -> ByteBuffer {
        ByteBuffer(string: VoiceTestbed.requestBody(text: text, book: book))
    }

    static func validate(_ buffer: ByteBuffer) throws -> VoiceRequestBody.Validated {
        try VoiceRequestBody.validated(body: Data(buffer: buffer), maximumTextCharacters: 10_000)
    }

    @Test func answersWhatValidatingAnswersAndValidatesEachBodyOnce() async throws {
        let memo = ValidatedBodyMemo()
        let calls = Mutex(0)
        for text in ["One.", "Two  spaces.", "“Curly” — quotes…", "One."] {
            for book in ["a", "b"] {
                let buffer = Self.body(text, book: book)
                let held = try await memo.validated(buffer) {
                    calls.withLock { $0 += 1 }
                    return try Self.validate(buffer)
                }
                let direct = try Self.validate(buffer)
                #expect(held.spec == direct.spec && held.bookId == direct.bookId)
            }
        }
        #expect(calls.withLock { $0 } == 6, "each distinct body validated once")
    }

    @Test func failuresAreNeverHeld() async {
        let memo = ValidatedBodyMemo()
        let calls = Mutex(0)
        let bad = ByteBuffer(string: #"{"text":"   ","voiceId":"v","bookId":"b"}"#)
        for _ in 0..<3 {
            await #expect(throws: APIError.self) {
                _ = try await memo.validated(bad) {
                    calls.withLock { $0 += 1 }
                    return try Self.validate(bad)
                }
            }
        }
        #expect(calls.withLock { $0 } == 3)
        #expect(memo.count == 0)
    }

    @Test func itIsBoundedInBytes() async throws {
        let memo = ValidatedBodyMemo(capacity: 4096, entryLimit: 2048)
        for number in 0..<100 {
            let buffer = Self.body("Chapter \(number). " + String(repeating: "a", count: 200))
            _ = try await memo.validated(buffer) { try Self.validate(buffer) }
        }
        #expect(memo.count <= 4096 / ValidatedBodyMemo.cost(ofBody: 260))
        let huge = Self.body(String(repeating: "b", count: 3000))
        _ = try await memo.validated(huge) { try Self.validate(huge) }
        #expect(memo.count <= 4096 / ValidatedBodyMemo.cost(ofBody: 260), "a body over the entry limit is not held")
    }
}
