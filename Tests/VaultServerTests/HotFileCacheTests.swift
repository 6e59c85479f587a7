import Foundation
import Testing
@testable import VaultCore
@testable import VaultServer

/// The hot-file cache's memory bound under responses that outlive their entries.
@Suite struct HotFileCacheTests {
    let directory = TemporaryDirectory()

    func file(_ name: String, size: Int) throws -> String {
        let path = directory.path + "/" + name
        try Data(repeating: UInt8(size % 251), count: size).write(to: URL(fileURLWithPath: path))
        return path
    }

    func isMemory(_ bytes: DownloadBytes?) -> Bool {
        if case .memory = bytes { return true }
        return false
    }

    @Test func anEntryInUseIsNeverEvictedAndNewFilesStreamWhenNothingElseCanGo() throws {
        let cache = HotFileCache<String>(capacity: 100_000, entryLimit: 60_000)
        let paths = try ["a", "b", "c"].map { try file($0, size: 60_000) }
        var first = try cache.bytes(for: "a", path: paths[0], load: true)
        #expect(isMemory(first))
        // a is being sent: evicting it would free nothing, so b streams from its file.
        let second = try cache.bytes(for: "b", path: paths[1], load: true)
        #expect(!isMemory(second))
        #expect(cache.statistics.bytes == 60_000)
        // Once a's response is done, b takes its place.
        first = nil
        let third = try cache.bytes(for: "b", path: paths[1], load: true)
        #expect(isMemory(third))
        #expect(cache.statistics.bytes == 60_000 && cache.statistics.entries == 1)
        _ = (first, second)
    }

    @Test func theLeastRecentlyUsedEntryNotInUseGoesFirst() throws {
        let cache = HotFileCache<String>(capacity: 100_000, entryLimit: 40_000)
        let paths = try ["a", "b", "c"].map { try file($0, size: 40_000) }
        let a = try cache.bytes(for: "a", path: paths[0], load: true)  // oldest, in use
        _ = try cache.bytes(for: "b", path: paths[1], load: true)      // newer, done
        let c = try cache.bytes(for: "c", path: paths[2], load: true)
        #expect(isMemory(c))
        #expect(isMemory(try cache.bytes(for: "a", path: nil, load: true)))
        #expect(try cache.bytes(for: "b", path: nil, load: true) == nil)
        _ = (a, c)
    }

    @Test func aHitLeasesTheHeldBufferAndInvalidationRetiresIt() throws {
        let cache = HotFileCache<String>(capacity: 100_000, entryLimit: 60_000)
        let path = try file("a", size: 40_000)
        _ = try cache.bytes(for: "a", path: path, load: true)  // loaded, lease dropped at once
        var hit = try cache.bytes(for: "a", path: nil, load: true)
        #expect(isMemory(hit))
        cache.invalidate("a")
        #expect(cache.statistics.bytes == 0 && cache.statistics.retiredBytes == 40_000)
        hit = nil
        #expect(cache.statistics.retiredBytes == 0)
        _ = hit
    }
}
