import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct StorageNameTests {
    @Test(arguments: ["a", "a/b/c.mp3", "chapter one/part 1+2 (final).mp3", "!*'()&$=@;:,?-_.x", "x.", ".hidden", "a..b"])
    func acceptsUpstreamKeys(key: String) {
        #expect(StorageName.keyProblem(key) == nil)
    }

    @Test(arguments: [
        "", "café.mp3", "a\u{0}b", "a\\b", "a%b", "a#b", "tab\there", "a/../b", "../a", "./a", "a/.", "/lead", "trail/", "a//b",
        "\u{FF41}", String(repeating: "k", count: 401),
    ])
    func rejectsOtherKeys(key: String) {
        #expect(StorageName.keyProblem(key) != nil)
    }

    @Test func bucketNamesHaveNoSlashes() {
        #expect(StorageName.bucketProblem("audio") == nil)
        #expect(StorageName.bucketProblem("my bucket+1") == nil)
        #expect(StorageName.bucketProblem("a/b") != nil)
        #expect(StorageName.bucketProblem("") != nil)
        #expect(StorageName.bucketProblem("..") != nil)
        #expect(StorageName.bucketProblem(String(repeating: "b", count: 101)) != nil)
    }

    @Test func staticRouteSegmentsAreReservedForNewBuckets() {
        for name in ["upload", "sign", "list", "list-v2", "info", "public", "authenticated", "move", "copy"] {
            #expect(StorageName.newBucketProblem(name) != nil, "\(name)")
            #expect(StorageName.bucketProblem(name) == nil, "\(name): still a valid name to address")
        }
        #expect(StorageName.newBucketProblem("uploads") == nil)
        #expect(StorageName.newBucketProblem("a/b") != nil)
    }

    @Test func percentDecodingIsExact() {
        #expect(StorageName.percentDecoded("a%20b+c") == "a b+c")
        #expect(StorageName.percentDecoded("%2e%2E") == "..")
        #expect(StorageName.percentDecoded("caf%C3%A9") == "café")
        #expect(StorageName.percentDecoded("plain") == "plain")
        #expect(StorageName.percentDecoded("%") == nil)
        #expect(StorageName.percentDecoded("%4") == nil)
        #expect(StorageName.percentDecoded("%ZZ") == nil)
        #expect(StorageName.percentDecoded("%FF") == nil)  // not UTF-8
    }
}

@Suite struct StorageRouteTests {
    @Test(arguments: [
        (StorageRoute.Method.get, "/bucket", StorageRoute.listBuckets),
        (.post, "bucket", .createBucket),
        (.get, "/bucket/b1", .getBucket("b1")),
        (.put, "/bucket/b1", .updateBucket("b1")),
        (.delete, "/bucket/b1", .deleteBucket("b1")),
        (.post, "/bucket/b1/empty", .emptyBucket("b1")),
        (.post, "/object/b1/a/b%20c+d.mp3", .upload(bucket: "b1", key: "a/b c+d.mp3")),
        (.put, "/object/b1/a.mp3", .update(bucket: "b1", key: "a.mp3")),
        (.get, "/object/b1/a.mp3", .download(bucket: "b1", key: "a.mp3", head: false)),
        (.head, "/object/b1/a.mp3", .download(bucket: "b1", key: "a.mp3", head: true)),
        (.get, "/object/authenticated/b1/a.mp3", .download(bucket: "b1", key: "a.mp3", head: false)),
        (.get, "/object/public/b1/x/a.mp3", .publicDownload(bucket: "b1", key: "x/a.mp3", head: false)),
        (.head, "/object/public/b1/a.mp3", .publicDownload(bucket: "b1", key: "a.mp3", head: true)),
        (.get, "/object/sign/b1/a.mp3", .signedDownload(bucket: "b1", key: "a.mp3", head: false)),
        (.post, "/object/sign/b1/a.mp3", .sign(bucket: "b1", key: "a.mp3")),
        (.post, "/object/sign/b1", .signMany(bucket: "b1")),
        (.get, "/object/info/b1/a/b.mp3", .info(bucket: "b1", key: "a/b.mp3")),
        (.post, "/object/list/b1", .list(bucket: "b1")),
        (.delete, "/object/b1", .remove(bucket: "b1")),
        (.delete, "/object/b1/a.mp3", .removeOne(bucket: "b1", key: "a.mp3")),
        (.post, "/object/move", .move),
        (.post, "/object/copy", .copy),
        (.post, "/object/list/b1/", .list(bucket: "b1")),
        (.get, "/object/my%20bucket/k", .download(bucket: "my bucket", key: "k", head: false)),
        (.post, "/object/upload/sign/b1/a/b.mp3", .signUpload(bucket: "b1", key: "a/b.mp3")),
        (.put, "/object/upload/sign/b1/a%20b.mp3", .signedUpload(bucket: "b1", key: "a b.mp3")),
        (.post, "/object/list-v2/b1", .listV2(bucket: "b1")),
        (.delete, "/cdn/b1/a/b.mp3", .purgeCache(bucket: "b1", key: "a/b.mp3")),
        // A plain upload into a bucket whose name is not reserved, and keys that start like a static segment.
        (.post, "/object/b1/upload/sign/x", .upload(bucket: "b1", key: "upload/sign/x")),
        (.post, "/object/b1/list-v2", .upload(bucket: "b1", key: "list-v2")),
    ])
    func routes(method: StorageRoute.Method, path: String, expected: StorageRoute) throws {
        #expect(try StorageRoute.parse(method: method, path: path[...]) == expected)
    }

    @Test(arguments: [
        (StorageRoute.Method.get, "/nothing", StorageRoute.Failure.Kind.notFound),
        (.delete, "/bucket", .notFound),
        (.get, "/object/b1", .notFound),
        (.get, "/object/public/b1", .notFound),
        (.post, "/bucket/b1/other", .notFound),
        (.get, "/object/b1/%ZZ", .badEncoding),
        (.get, "/object/b1/a/%2E%2E/etc", .invalidKey),
        (.get, "/object/b1/caf%C3%A9", .invalidKey),
        (.post, "/object/b1/a%2F%2Fb", .invalidKey),
        (.get, "/object/b%2F1/a", .invalidBucket),
        (.put, "/object/upload/sign/b1", .notFound),
        (.delete, "/cdn/b1", .notFound),
    ])
    func refuses(method: StorageRoute.Method, path: String, kind: StorageRoute.Failure.Kind) {
        #expect(throws: StorageRoute.Failure.self) { try StorageRoute.parse(method: method, path: path[...]) }
        do {
            _ = try StorageRoute.parse(method: method, path: path[...])
        } catch {
            #expect(error.kind == kind, "\(path): \(error.message)")
        }
    }

    @Test func onlyDownloadsByPublicOrSignedURLAreOpen() throws {
        #expect(try StorageRoute.parse(method: .get, path: "/object/public/b/k").isOpen)
        #expect(try StorageRoute.parse(method: .get, path: "/object/sign/b/k").isOpen)
        #expect(try !StorageRoute.parse(method: .post, path: "/object/sign/b/k").isOpen)
        #expect(try !StorageRoute.parse(method: .get, path: "/object/b/k").isOpen)
        #expect(try StorageRoute.parse(method: .put, path: "/object/upload/sign/b/k").isOpen)
        #expect(try !StorageRoute.parse(method: .post, path: "/object/upload/sign/b/k").isOpen)
    }
}
