import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore
@testable import VaultServer

/// The hot-file cache's memory bound under responses that outlive their entries: a buffer still held by a
/// response (a client that stopped reading) stays counted until its memory is really freed.
@Suite struct HotFileCacheTests {
    let directory = TemporaryDirectory()

    func files(_ names: [String], size: Int) throws -> [String] {
        try names.map { name in
            let path = directory.path + "/" + name
            try Data(repeating: UInt8(name.utf8.first ?? 0), count: size).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    func isMemory(_ bytes: DownloadBytes?) -> Bool {
        if case .memory = bytes { return true }
        return false
    }

    @Test func anEvictedBufferStillBeingSentStaysCountedUntilItIsFreed() throws {
        let cache = HotFileCache<String>(capacity: 100_000, entryLimit: 60_000)
        let paths = try files(["a", "b"], size: 60_000)
        var sending = try cache.bytes(for: "a", path: paths[0])  // a response holds a's buffer
        #expect(isMemory(sending))
        // b would evict a, but a's bytes are still in use: no room beside them, so b streams from its file.
        let streamed = try cache.bytes(for: "b", path: paths[1])
        #expect(!isMemory(streamed))
        #expect(cache.statistics.retiredBytes == 60_000 && cache.statistics.bytes == 0)
        // The response ends: the memory is freed and no longer counted; b now fits.
        sending = nil
        #expect(cache.statistics.retiredBytes == 0)
        #expect(isMemory(try cache.bytes(for: "b", path: paths[1])))
        _ = (sending, streamed)
    }

    @Test func anEvictedBufferNobodyHoldsIsFreedAtOnce() throws {
        let cache = HotFileCache<String>(capacity: 100_000, entryLimit: 60_000)
        let paths = try files(["a", "b"], size: 60_000)
        _ = try cache.bytes(for: "a", path: paths[0])
        #expect(isMemory(try cache.bytes(for: "b", path: paths[1])))
        #expect(cache.statistics.retiredBytes == 0 && cache.statistics.bytes == 60_000 && cache.statistics.entries == 1)
        #expect(try cache.bytes(for: "a", path: nil) == nil)
    }

    @Test func invalidatingABufferInUseRetiresItUntilItsSliceIsGone() throws {
        let cache = HotFileCache<String>(capacity: 100_000, entryLimit: 60_000)
        let paths = try files(["a"], size: 40_000)
        guard case let .memory(buffer)? = try cache.bytes(for: "a", path: paths[0]) else {
            Issue.record("a was not loaded")
            return
        }
        var slice = buffer.getSlice(at: 100, length: 10)  // what a range response hands the socket
        _ = consume buffer
        cache.invalidate("a")
        #expect(cache.statistics.bytes == 0 && cache.statistics.retiredBytes == 40_000)
        slice = nil
        #expect(cache.statistics.retiredBytes == 0)
        _ = slice
    }
}
