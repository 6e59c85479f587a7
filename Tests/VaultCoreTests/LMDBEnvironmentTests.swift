import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct LMDBEnvironmentTests {
    func key(_ i: Int) -> [UInt8] { Array(String(format: "key-%08d", i).utf8) }

    @Test func putGetDeleteAndScan() throws {
        let dir = TemporaryDirectory()
        let env = try LMDBEnvironment(directory: dir.path)
        let db = try env.database(named: "t")
        try env.write { txn in
            for i in 0..<100 { try txn.put(Array("value \(i)".utf8), for: key(i), in: db) }
            #expect(try txn.put([1], for: key(5), in: db, overwrite: false) == false)
            #expect(try txn.delete(key(7), in: db))
            #expect(try txn.delete(key(7), in: db) == false)
        }
        try env.read { txn in
            #expect(try txn.get(key(5), in: db) == Array("value 5".utf8))
            #expect(try txn.get(key(7), in: db) == nil)
            #expect(try txn.count(in: db) == 99)
            var seen = [String]()
            try txn.scan(prefix: Array("key-0000001".utf8), in: db) { k, _ in
                seen.append(String(decoding: k, as: UTF8.self))
                return true
            }
            #expect(seen == (10...19).map { String(format: "key-%08d", $0) })
            var fromFifty = 0
            try txn.scan(prefix: Array("key-".utf8), in: db, from: key(50)) { _, _ in
                fromFifty += 1
                return fromFifty < 5
            }
            #expect(fromFifty == 5)
        }
    }

    @Test func valuesAreCopiedOutOfTheTransaction() throws {
        let dir = TemporaryDirectory()
        let env = try LMDBEnvironment(directory: dir.path)
        let db = try env.database(named: "t")
        try env.write { try $0.put(Array(repeating: 0xAB, count: 10_000), for: key(1), in: db) }
        let copied = try env.read { try $0.get(key(1), in: db) }
        // Overwrite and delete after the read ended: the copy must be unaffected.
        try env.write { txn in
            try txn.put(Array(repeating: 0xCD, count: 10_000), for: key(1), in: db)
            try txn.delete(key(1), in: db)
        }
        #expect(copied == Array(repeating: 0xAB, count: 10_000))
    }

    @Test func aThrowingWriteKeepsNothing() throws {
        struct Abort: Error {}
        let dir = TemporaryDirectory()
        let env = try LMDBEnvironment(directory: dir.path)
        let db = try env.database(named: "t")
        #expect(throws: Abort.self) {
            try env.write { txn in
                try txn.put([1], for: key(1), in: db)
                throw Abort()
            }
        }
        #expect(try env.read { try $0.get(key(1), in: db) } == nil)
    }

    @Test func mapGrowsAutomaticallyWhenFull() throws {
        let dir = TemporaryDirectory()
        let env = try LMDBEnvironment(directory: dir.path, options: .init(mapSize: 64 << 10))
        let db = try env.database(named: "t")
        let initial = env.mapSize
        let value = [UInt8](repeating: 7, count: 4000)
        // 8 MB in 64 KB of map: only possible if the map grows, transparently, many times.
        for batch in 0..<20 {
            try env.write { txn in
                for i in 0..<100 { try txn.put(value, for: key(batch * 100 + i), in: db) }
            }
        }
        #expect(env.mapSize > initial * 64)
        #expect(try env.read { try $0.count(in: db) } == 2000)
        #expect(try env.read { try $0.get(key(1999), in: db) } == value)
    }

    @Test func growthStopsAtTheConfiguredMaximum() throws {
        let dir = TemporaryDirectory()
        let env = try LMDBEnvironment(directory: dir.path, options: .init(mapSize: 64 << 10, maximumMapSize: 256 << 10))
        let db = try env.database(named: "t")
        #expect(throws: LMDBError.self) {
            try env.write { txn in
                for i in 0..<400 { try txn.put([UInt8](repeating: 1, count: 4000), for: key(i), in: db) }
            }
        }
        #expect(env.mapSize == 256 << 10)
    }

    @Test func readersRunWhileTheMapGrows() async throws {
        let dir = TemporaryDirectory()
        let env = try LMDBEnvironment(directory: dir.path, options: .init(mapSize: 64 << 10))
        let db = try env.database(named: "t")
        try env.write { try $0.put(Array("anchor".utf8), for: Array("anchor".utf8), in: db) }
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for batch in 0..<30 {
                    try env.write { txn in
                        for i in 0..<50 { try txn.put([UInt8](repeating: 3, count: 2000), for: key(batch * 50 + i), in: db) }
                    }
                }
                return 0
            }
            for _ in 0..<4 {
                group.addTask {
                    var reads = 0
                    for _ in 0..<2000 {
                        let value = try env.read { try $0.get(Array("anchor".utf8), in: db) }
                        if value == Array("anchor".utf8) { reads += 1 }
                    }
                    return reads
                }
            }
            var total = 0
            for try await reads in group { total += reads }
            #expect(total == 8000)
        }
        #expect(try env.read { try $0.count(in: db) } == 1501)
    }

    /// Reads renew kept transactions (`ReadTransactionPool`): each must see every commit before it, never the
    /// snapshot it held when it was last used.
    @Test func aRenewedReadSeesEveryCommitBeforeIt() throws {
        let dir = TemporaryDirectory()
        let env = try LMDBEnvironment(directory: dir.path)
        let db = try env.database(named: "t")
        for i in 0..<500 {
            try env.write { try $0.put(Array("value \(i)".utf8), for: key(0), in: db) }
            #expect(try env.read { try $0.get(key(0), in: db) } == Array("value \(i)".utf8))
            if i % 50 == 0 {
                try env.write { try $0.delete(key(0), in: db) }
                #expect(try env.read { try $0.get(key(0), in: db) } == nil)
            }
        }
        #expect(env.keptReadTransactionCount == 1)
    }

    /// A kept transaction is reset: it holds no snapshot, so the pages a writer frees are reused. Were it kept
    /// live, each overwrite of a 256 KB value below would leave its old pages pinned, about 75 MB in all.
    @Test func keptReadTransactionsPinNoPages() throws {
        let dir = TemporaryDirectory()
        let env = try LMDBEnvironment(directory: dir.path)
        let db = try env.database(named: "t")
        for i in 0..<300 {
            try env.write { try $0.put([UInt8](repeating: UInt8(i % 251), count: 256 << 10), for: key(0), in: db) }
            #expect(try env.read { try $0.get(key(0), in: db)?.first } == UInt8(i % 251))
        }
        #expect(env.keptReadTransactionCount == 1)
        #expect(env.usedBytes < 8 << 20, "\(env.usedBytes) bytes used for one 256 KB value")
    }

    /// However many read at once, at most `keptReadTransactions` are kept, so the reader table keeps room for
    /// other processes on the directory.
    @Test func concurrentReadsKeepABoundedNumberOfTransactions() async throws {
        let dir = TemporaryDirectory()
        let env = try LMDBEnvironment(directory: dir.path)
        let db = try env.database(named: "t")
        try env.write { try $0.put([42], for: key(0), in: db) }
        // Nested reads hold many transactions at once on each thread.
        func nested(_ depth: Int) throws -> Int {
            try env.read { txn in
                let value = Int(try txn.get(key(0), in: db)?.first ?? 0)
                return depth == 0 ? value : value + (try nested(depth - 1))
            }
        }
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try (0..<200).reduce(0) { total, _ in total + (try nested(9)) } } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(sums == Array(repeating: 42 * 10 * 200, count: 8))
        #expect(env.keptReadTransactionCount <= LMDBEnvironment.keptReadTransactions)
        #expect(env.readers.used <= 8 * 10 + 1)
        let smallDirectory = TemporaryDirectory()
        let small = try LMDBEnvironment(directory: smallDirectory.path, options: .init(maxReaders: 8))
        let smallDatabase = try small.database(named: "t")
        _ = try small.read { _ in try small.read { _ in try small.read { _ in try small.read { try $0.get(key(0), in: smallDatabase) } } } }
        #expect(small.keptReadTransactionCount == 2, "a quarter of eight reader slots")
    }

    @Test func reopeningKeepsDataAndAGrownMap() throws {
        let dir = TemporaryDirectory()
        do {
            let env = try LMDBEnvironment(directory: dir.path, options: .init(mapSize: 64 << 10))
            let db = try env.database(named: "t")
            for batch in 0..<5 {
                try env.write { txn in
                    for i in 0..<50 { try txn.put([UInt8](repeating: 9, count: 2000), for: key(batch * 50 + i), in: db) }
                }
            }
        }
        let env = try LMDBEnvironment(directory: dir.path, options: .init(mapSize: 64 << 10))
        let db = try env.database(named: "t")
        #expect(env.mapSize > 64 << 10)
        #expect(env.staleReadersCleared == 0)
        #expect(try env.read { try $0.count(in: db) } == 250)
    }
}

@Suite struct AssetIndexTests {
    func record(_ hash: SHA256Digest, books: [String]) -> AssetRecord {
        AssetRecord(
            contentHash: hash.hex, bookIds: books, voiceId: "v", modelId: "m", outputFormat: "mp3_44100_128",
            byteSize: 10, sha256: SHA256Digest.of("bytes").hex, durationSeconds: 1.5, wordCount: 2,
            characterCount: 10, createdAt: 1_700_000_000, upstreamRequestId: "req-1", characterCost: 10)
    }

    @Test func newIndexIsStampedWithTheCurrentSchema() throws {
        let dir = TemporaryDirectory()
        let index = try AssetIndex(directory: dir.path)
        #expect(index.openedFromSchemaVersion == nil)
        #expect(try index.schemaVersion == IndexSchema.current)
        let reopened = try AssetIndex(directory: dir.path)
        #expect(reopened.openedFromSchemaVersion == IndexSchema.current)
    }

    @Test func newerSchemaIsRefused() throws {
        let dir = TemporaryDirectory()
        do {
            let env = try LMDBEnvironment(directory: dir.path)
            let meta = try env.database(named: "meta")
            try env.write { try $0.put(Array("99".utf8), for: AssetIndex.schemaVersionKey, in: meta) }
        }
        #expect(throws: IndexError.newerSchema(found: 99, supported: IndexSchema.current)) {
            _ = try AssetIndex(directory: dir.path)
        }
    }

    @Test func migrationPlanRunsOnlyMissingSteps() throws {
        #expect(try IndexSchema.plan(from: nil).map(\.version) == Array(1...IndexSchema.current))
        #expect(try IndexSchema.plan(from: IndexSchema.current).isEmpty)
        #expect(throws: IndexError.newerSchema(found: IndexSchema.current + 1, supported: IndexSchema.current)) {
            _ = try IndexSchema.plan(from: IndexSchema.current + 1)
        }
    }

    @Test func recordsAndTheBookIndexStayInStep() throws {
        let dir = TemporaryDirectory()
        let index = try AssetIndex(directory: dir.path)
        let h1 = SHA256Digest.test("one")
        let h2 = SHA256Digest.test("two")
        try index.update(h1) { _ in record(h1, books: ["book-a", "book-b"]) }
        try index.update(h2) { _ in record(h2, books: ["book-a"]) }
        #expect(try index.record(for: h1) == record(h1, books: ["book-a", "book-b"]))
        #expect(Set(try index.hashes(forBook: .book("book-a"))) == [h1, h2])
        #expect(try index.hashes(forBook: .book("book-b")) == [h1])
        // A book whose name is a prefix of another's is not confused with it.
        #expect(try index.hashes(forBook: .book("book")) == [])

        try index.update(h1) { current in
            var next = current
            next?.removeBook("book-b")
            return next
        }
        #expect(try index.hashes(forBook: .book("book-b")) == [])
        try index.update(h2) { _ in nil }
        #expect(try index.hashes(forBook: .book("book-a")) == [h1])
        #expect(try index.record(for: h2) == nil)
        #expect(try index.count() == 1)
    }

    @Test func forEachRecordPagesThroughEverything() throws {
        let dir = TemporaryDirectory()
        let index = try AssetIndex(directory: dir.path)
        let hashes = (0..<250).map { SHA256Digest.test("r\($0)") }
        for hash in hashes { try index.update(hash) { _ in record(hash, books: ["b"]) } }
        var seen = [String]()
        try index.forEachRecord(pageSize: 16) { seen.append($0.contentHash) }
        #expect(seen == hashes.map(\.hex).sorted())
    }

    @Test func recordsSurviveAReopen() throws {
        let dir = TemporaryDirectory()
        let hash = SHA256Digest.test("persist")
        do {
            let index = try AssetIndex(directory: dir.path)
            try index.update(hash) { _ in record(hash, books: ["b"]) }
        }
        #expect(try AssetIndex(directory: dir.path).record(for: hash) == record(hash, books: ["b"]))
    }
}

@Suite struct AssetIndexBulkTests {
    @Test func upsertWritesRecordsAndBookKeysInOneGo() throws {
        let dir = TemporaryDirectory()
        let index = try AssetIndex(directory: dir.path)
        let hashes = (0..<20).map { SHA256Digest.test("bulk\($0)") }
        let records = hashes.map {
            AssetRecord(
                contentHash: $0.hex, bookIds: ["x", "y"], voiceId: "v", modelId: "m", outputFormat: "f",
                byteSize: 1, sha256: $0.hex, durationSeconds: 1, wordCount: 1, characterCount: 1, createdAt: 0)
        }
        try index.upsert(records)
        #expect(try index.count() == 20)
        #expect(Set(try index.hashes(forBook: .book("y"))) == Set(hashes))
        var moved = records[0]
        moved.bookIds = ["z"]
        try index.upsert([moved])
        #expect(try index.hashes(forBook: .book("x")).count == 19)
        #expect(try index.hashes(forBook: .book("z")) == [hashes[0]])
        var bad = records[1]
        bad.contentHash = "nope"
        #expect(throws: IndexError.self) { try index.upsert([bad]) }
    }
}
