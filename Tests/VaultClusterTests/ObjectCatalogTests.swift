import Foundation
import Logging
import PostgresNIO
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// Storage's buckets and object records, embedded (LMDB) and in PostgreSQL, held to one contract: the same
/// answers, the same refusals, the same bytewise listings, and one winner among racing creations of a key.
@Suite struct ObjectCatalogTests {
    static let logger = Logger(label: "object-catalog-test")

    static func bucket(_ id: String, public isPublic: Bool = false) -> BucketRecord {
        BucketRecord(id: id, name: id, isPublic: isPublic, fileSizeLimit: nil, allowedMimeTypes: nil, createdAt: 1, updatedAt: 1)
    }

    static func object(_ bucket: String, _ key: String, version: String = UUID().uuidString.lowercased(), at time: Double = 10)
        -> ObjectRecord
    {
        ObjectRecord(
            id: UUID().uuidString.lowercased(), bucket: bucket, key: key, version: version, size: key.utf8.count,
            mimeType: "text/plain", cacheControl: "no-cache", sha256: SHA256Digest.of(Array(key.utf8)).hex, userMetadata: nil,
            createdAt: time, updatedAt: time, lastAccessedAt: time)
    }

    /// What every `ObjectCatalog` must do.
    static func holdsTheContract(_ catalog: any ObjectCatalog) async throws {
        // Buckets.
        #expect(try await catalog.bucket("b") == nil)
        try await catalog.createBucket(Self.bucket("b"))
        await #expect(throws: StorageCatalogError.bucketExists("b")) { try await catalog.createBucket(Self.bucket("b")) }
        #expect(try await catalog.ensureBucket(Self.bucket("b", public: true)) == false)
        #expect(try await catalog.bucket("b")?.isPublic == false, "ensure keeps the bucket that was there")
        #expect(try await catalog.ensureBucket(Self.bucket("a")) == true)
        #expect(try await catalog.allBuckets().map(\.id) == ["a", "b"])
        let changed = try await catalog.updateBucket("b") { $0.isPublic = true }
        #expect(changed.isPublic)
        #expect(try await catalog.bucket("b")?.isPublic == true)
        await #expect(throws: StorageCatalogError.bucketNotFound("none")) { _ = try await catalog.updateBucket("none") { _ in } }
        await #expect(throws: StorageCatalogError.bucketNotFound("none")) { try await catalog.deleteBucket("none") }

        // Objects: created once, replaced keeping identity, refused into a missing bucket.
        let first = Self.object("b", "x/one.txt", at: 10)
        #expect(try await catalog.put(first, replacing: false) == nil)
        await #expect(throws: StorageCatalogError.objectExists(bucket: "b", key: "x/one.txt")) {
            _ = try await catalog.put(Self.object("b", "x/one.txt"), replacing: false)
        }
        let second = Self.object("b", "x/one.txt", at: 20)
        #expect(try await catalog.put(second, replacing: true) == first)
        let stored = try #require(try await catalog.object(bucket: "b", key: "x/one.txt"))
        #expect(stored.version == second.version && stored.id == first.id && stored.createdAt == 10 && stored.updatedAt == 20)
        await #expect(throws: StorageCatalogError.bucketNotFound("none")) {
            _ = try await catalog.put(Self.object("none", "k"), replacing: true)
        }
        await #expect(throws: StorageCatalogError.bucketNotEmpty("b")) { try await catalog.deleteBucket("b") }

        // Listings in bytewise order ("Z" < "a" < "é"; "/" < "0"), flat and folded, paged.
        let keys = ["x/two.txt", "x/y/deep.txt", "x/y/deeper/z.txt", "x0", "Z", "a", "é", "x/y0"]
        for key in keys { _ = try await catalog.put(Self.object("b", key), replacing: false) }
        let all = (keys + ["x/one.txt"]).sorted { KeyPageBuilder.precedes($0, $1) }
        let flat = try await catalog.keyPage(bucket: "b", KeyPageRequest(prefix: "", delimited: false, limit: 100))
        #expect(flat.entries.map(\.key) == all && !flat.isTruncated)
        let folded = try await catalog.keyPage(bucket: "b", KeyPageRequest(prefix: "x/", delimited: true, limit: 100))
        #expect(folded.entries.map(\.key) == ["x/one.txt", "x/two.txt", "x/y/", "x/y0"])
        var paged: [String] = []
        var after: String?
        repeat {
            let page = try await catalog.keyPage(bucket: "b", KeyPageRequest(prefix: "x", delimited: true, after: after, limit: 1))
            paged += page.entries.map(\.key)
            after = page.isTruncated ? page.entries.last?.key : nil
        } while after != nil
        #expect(paged == ["x/", "x0"])
        let contents = try await catalog.folderContents(bucket: "b", folder: "x/")
        #expect(contents.folders == ["y"] && contents.objects.map(\.key) == ["x/one.txt", "x/two.txt", "x/y0"])
        let root = try await catalog.folderContents(bucket: "b", folder: "")
        #expect(root.folders == ["x"] && root.objects.map(\.key) == ["Z", "a", "x0", "é"])
        #expect(try await catalog.keyPage(bucket: "a", KeyPageRequest(prefix: "", delimited: false, limit: 10)).entries.isEmpty)

        // Moves: the destination must be free, and a refused move changes nothing.
        await #expect(throws: StorageCatalogError.objectExists(bucket: "b", key: "a")) {
            _ = try await catalog.move(bucket: "b", from: "Z", to: "a", now: 30)
        }
        #expect(try await catalog.object(bucket: "b", key: "Z") != nil)
        await #expect(throws: StorageCatalogError.objectNotFound(bucket: "b", key: "missing")) {
            _ = try await catalog.move(bucket: "b", from: "missing", to: "elsewhere", now: 30)
        }
        let moved = try await catalog.move(bucket: "b", from: "Z", to: "moved/Z", now: 30)
        #expect(moved.key == "moved/Z" && moved.updatedAt == 30)
        #expect(try await catalog.object(bucket: "b", key: "Z") == nil)
        #expect(try await catalog.object(bucket: "b", key: "moved/Z")?.version == moved.version)

        // Removal: only existing keys, and with a version only while the key holds it.
        #expect(try await catalog.remove(bucket: "b", keys: ["a"], ifVersion: "another").isEmpty)
        let removed = try await catalog.remove(bucket: "b", keys: ["a", "nothing", "x0"])
        #expect(Set(removed.map(\.key)) == ["a", "x0"])
        #expect(try await catalog.object(bucket: "b", key: "a") == nil)
        let rest = try await catalog.keyPage(bucket: "b", KeyPageRequest(prefix: "", delimited: false, limit: 100)).entries.map(\.key)
        _ = try await catalog.remove(bucket: "b", keys: rest)
        try await catalog.deleteBucket("b")
        #expect(try await catalog.bucket("b") == nil)

        // Twenty uploads racing to create two keys: exactly one creates each.
        try await catalog.createBucket(Self.bucket("race"))
        let racers = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask {
                    do {
                        _ = try await catalog.put(Self.object("race", "new-\(index % 2)"), replacing: false)
                        return true
                    } catch { return false }
                }
            }
            var wins = 0
            for await won in group { wins += won ? 1 : 0 }
            return wins
        }
        #expect(racers == 2, "one creation per key among twenty racing: \(racers)")
    }

    @Test func theEmbeddedObjectCatalogHoldsTheContract() async throws {
        let directory = TemporaryDirectory("vv-objects")
        let environment = try LMDBEnvironment(directory: directory.path)
        try await Self.holdsTheContract(EmbeddedObjectCatalog(catalog: try StorageCatalog(environment: environment)))
    }

    /// With a batch of two rows per round trip, every listing crosses batch boundaries and seeks.
    @Test func thePostgreSQLObjectCatalogHoldsTheContract() async throws {
        try await withCatalog { client, _ in
            _ = try await CatalogMigrator.migrate(client, logger: Self.logger)
            try await Self.holdsTheContract(PostgresObjectCatalog(client: client, logger: Self.logger, scanBatch: 2))
        }
    }
}
