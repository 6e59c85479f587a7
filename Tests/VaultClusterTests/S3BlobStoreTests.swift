import AsyncHTTPClient
import Foundation
import Testing
import VaultCluster
import VaultCore
import VaultTestSupport

/// The S3 blob store against a real S3 store (SeaweedFS on loopback), each test under a prefix of its own.
@Suite struct S3BlobStoreTests {
    static func store(prefix: String = "t-\(UUID().uuidString.lowercased())", secret: String = SeaweedFS.secretAccessKey) async throws
        -> S3BlobStore
    {
        let seaweed = try await SeaweedFS.shared()
        let store = S3BlobStore(
            location: S3Location(endpoint: seaweed.endpoint, bucket: "voicevault-tests", prefix: prefix),
            accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: secret, client: .shared)
        try await S3BlobStore(
            location: store.location, accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey, client: .shared
        ).ensureBucket()
        return store
    }

    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }

    // Storing, reading in ranges, listing and deleting: `BlobStoreContractTests`, which runs against this store.

    /// Bytes that are not what their digest says are refused by the store itself (`x-amz-checksum-sha256`), and
    /// nothing is left under that name.
    @Test func bytesThatDoNotMatchTheirDigestAreRefusedAndNothingIsStored() async throws {
        let store = try await Self.store()
        let claimed = SHA256Digest.of(Self.bytes(10, seed: 1))
        do {
            try await store.put(Self.bytes(10, seed: 2), sha256: claimed)
            Issue.record("bytes that do not match their digest were stored")
        } catch let .refused(status, code, _) {
            #expect(status == 400 && ["BadDigest", "XAmzContentSHA256Mismatch"].contains(code), "\(status) \(code)")
        }
        #expect(try await store.size(of: claimed) == nil)
    }

    @Test func aListingLongerThanAPageIsReadWhole() async throws {
        var store = try await Self.store()
        store.listPageSize = 2
        var stored: Set<SHA256Digest> = []
        for seed in 0..<5 {
            let bytes = Self.bytes(100 + seed, seed: UInt8(seed))
            let digest = SHA256Digest.of(bytes)
            try await store.put(bytes, sha256: digest)
            stored.insert(digest)
        }
        let listed = try await store.list()
        #expect(listed.count == 5 && Set(listed) == stored)
    }

    @Test func aWrongSecretIsRefusedWithTheStoresCode() async throws {
        let store = try await Self.store(secret: "not-the-secret")
        let bytes = Self.bytes(10, seed: 3)
        do {
            try await store.put(bytes, sha256: SHA256Digest.of(bytes))
            Issue.record("a put signed with the wrong secret was accepted")
        } catch let .refused(status, code, _) {
            #expect(status == 403 && ["SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId"].contains(code), "\(status) \(code)")
        }
    }

    @Test func aStoreThatIsNotThereIsUnavailableNotRefused() async throws {
        // A port nothing listens on: the connection is refused at once.
        let store = S3BlobStore(
            location: S3Location(endpoint: URL(string: "http://127.0.0.1:9")!, bucket: "b"), accessKeyID: "k", secretAccessKey: "s",
            client: .shared, timeout: .seconds(5))
        do {
            _ = try await store.size(of: SHA256Digest.of("x"))
            Issue.record("a store that is not there answered")
        } catch let error {
            #expect(error.code == "blob_store_unavailable", "\(error)")
        }
    }
}

@Suite struct S3LocationTests {
    @Test func theDocumentedSpellingIsRead() throws {
        let location = try S3Location(parsing: "s3://audio/vv/prod?endpoint=http://10.0.0.5:8333&region=eu-west-1")
        #expect(location.bucket == "audio" && location.prefix == "vv/prod" && location.region == "eu-west-1")
        #expect(location.endpoint.absoluteString == "http://10.0.0.5:8333")
        #expect(location.key("ab") == "vv/prod/blobs/ab")
        let bare = try S3Location(parsing: "s3://audio?endpoint=https://s3.example.com")
        #expect(bare.prefix == "" && bare.region == "us-east-1" && bare.key("ab") == "blobs/ab")
    }

    @Test(arguments: [
        ("http://audio?endpoint=http://h:1", S3Location.Invalid.notAnS3URL), ("s3:///x?endpoint=http://h:1", .missingBucket),
        ("s3://audio/x", .missingEndpoint), ("s3://audio?endpoint=ftp://h", .badEndpoint("ftp://h")),
    ])
    func badSpellingsSayWhatIsWrong(text: String, expected: S3Location.Invalid) {
        #expect(throws: expected) { try S3Location(parsing: text) }
    }
}
