import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// Every `BlobStore` keeps one contract, whatever holds the bytes: a shared directory or an S3 store.
@Suite struct BlobStoreContractTests {
    static func holdsTheContract(_ store: any BlobStore) async throws {
        let bytes = S3BlobStoreTests.bytes(300_000, seed: 7)
        let digest = SHA256Digest.of(bytes)
        #expect(try await store.size(of: digest) == nil)
        #expect(try await store.read(digest, range: nil) == nil)
        try await store.put(bytes, sha256: digest)
        // Storing it again is harmless.
        try await store.put(bytes, sha256: digest)
        #expect(try await store.size(of: digest) == bytes.count)
        #expect(try await store.read(digest, range: nil) == bytes)
        #expect(try await store.read(digest, range: 10...19) == Array(bytes[10...19]))
        #expect(try await store.read(digest, range: 1_000...1_099) == Array(bytes[1_000...1_099]))
        #expect(try await store.read(digest, range: 299_999...299_999) == [bytes[299_999]])
        #expect(try await store.list() == [digest])
        // Bytes that are not what their digest says are refused, and nothing is stored under that name.
        let claimed = SHA256Digest.of([1, 2, 3])
        await #expect(throws: BlobStoreError.self) { try await store.put([4, 5, 6], sha256: claimed) }
        #expect(try await store.size(of: claimed) == nil)
        try await store.delete(digest)
        try await store.delete(digest)
        #expect(try await store.size(of: digest) == nil)
        #expect(try await store.list().isEmpty)
    }

    @Test func aSharedDirectoryHoldsTheContract() async throws {
        let directory = TemporaryDirectory("vv-blobs")
        try await Self.holdsTheContract(DirectoryBlobStore(root: directory.path))
    }

    @Test func anS3StoreHoldsTheContract() async throws {
        try await Self.holdsTheContract(try await S3BlobStoreTests.store())
    }
}
