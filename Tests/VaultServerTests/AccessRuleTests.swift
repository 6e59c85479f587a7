import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VaultTestSupport
import VaultCore
@testable import VaultServer

/// "No one generates, writes or deletes without a key", for every call the server has.
///
/// Each call is made without a key, with an unknown key (as a Bearer and as `apikey`), and with a Supabase anon
/// JWT, which is what a browser app holds before it has a VoiceVault key. Calls that generate, write, delete,
/// list or sign are refused; reads of private objects answer as if nothing were there; and afterwards the
/// data directory holds exactly what it held before. `expectation(for:)` switches over `StorageRoute` without a
/// default, so a new Storage call does not compile until its rule is written here.
@Suite struct AccessRuleTests {
    enum Expectation: Equatable {
        /// 403 in Supabase's shape.
        case refused
        /// 404 in Supabase's shape: a private object is not revealed.
        case hidden
        /// 400: a signed URL without a valid token.
        case badToken
        /// Allowed without a key: a public bucket's object.
        case allowed
    }

    static func expectation(for route: StorageRoute) -> Expectation {
        switch route {
        case .listBuckets, .createBucket, .getBucket, .updateBucket, .deleteBucket, .emptyBucket, .upload, .update,
            .list, .remove, .removeOne, .move, .copy, .sign, .signMany, .signUpload, .listV2, .purgeCache:
            return .refused
        case let .download(bucket, _, _), let .info(bucket, _), let .publicDownload(bucket, _, _):
            return bucket == "open" ? .allowed : .hidden
        case .signedDownload, .signedUpload:
            return .badToken
        }
    }

    /// One request per Storage call, on the private bucket `docs` (holding `a/b.txt`) unless a public read is
    /// the point, with the body each call takes.
    static let storageCalls: [(method: HTTPRequest.Method, path: String, body: String?)] = [
        (.get, "/bucket", nil),
        (.post, "/bucket", #"{"id":"sneaky","name":"sneaky","public":true}"#),
        (.get, "/bucket/docs", nil),
        (.put, "/bucket/docs", #"{"public":true}"#),
        (.delete, "/bucket/docs", nil),
        (.post, "/bucket/docs/empty", nil),
        (.post, "/object/docs/new.txt", "planted"),
        (.put, "/object/docs/a/b.txt", "replaced"),
        (.get, "/object/authenticated/docs/a/b.txt", nil),
        (.get, "/object/docs/a/b.txt", nil),
        (.head, "/object/docs/a/b.txt", nil),
        (.get, "/object/public/docs/a/b.txt", nil),
        (.get, "/object/public/open/c.txt", nil),
        (.get, "/object/sign/docs/a/b.txt?token=forged", nil),
        (.get, "/object/info/docs/a/b.txt", nil),
        (.post, "/object/list/docs", #"{"prefix":""}"#),
        (.delete, "/object/docs", #"{"prefixes":["a/b.txt"]}"#),
        (.delete, "/object/docs/a/b.txt", nil),
        (.post, "/object/move", #"{"bucketId":"docs","sourceKey":"a/b.txt","destinationKey":"moved.txt"}"#),
        (.post, "/object/copy", #"{"bucketId":"docs","sourceKey":"a/b.txt","destinationKey":"copied.txt"}"#),
        (.post, "/object/sign/docs/a/b.txt", #"{"expiresIn":60}"#),
        (.post, "/object/sign/docs", #"{"paths":["a/b.txt"],"expiresIn":60}"#),
        (.post, "/object/upload/sign/docs/a/b.txt", nil),
        (.put, "/object/upload/sign/docs/a/b.txt?token=forged", "replaced"),
        (.put, "/object/upload/sign/docs/new.txt", "planted"),
        (.post, "/object/list-v2/docs", #"{"prefix":""}"#),
        (.delete, "/cdn/docs/a/b.txt", nil),
        // The generated audio, through the Storage surface.
        (.delete, "/object/audio", #"{"prefixes":["book-1/\#(Self.assetHash.hex).mp3"]}"#),
        (.post, "/bucket/audio/empty", nil),
    ]

    static let assetHash = SHA256Digest.of("access rule asset")

    static let strangers: [HTTPFields] = [
        [:],
        [.authorization: "Bearer not-a-key"],
        [.init("apikey")!: "not-a-key"],
        [
            .authorization: "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl",
            .init("apikey")!: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl",
        ],
    ]

    /// Every file under the data directory with its size and modification time, and every catalog and index
    /// entry, so "nothing changed" covers bytes and records alike.
    static func snapshot(_ directory: DataDirectory, _ objects: ObjectStore, _ store: AssetStore) throws -> [String] {
        var lines: [String] = []
        let root = URL(fileURLWithPath: directory.root)
        for name in (try? FileManager.default.subpathsOfDirectory(atPath: root.path)) ?? [] where !name.hasPrefix("index") {
            let attributes = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(name).path)
            lines.append("\(name) \(attributes[.size] ?? "") \(attributes[.modificationDate] ?? "")")
        }
        for bucket in try objects.catalog.allBuckets() {
            lines.append("bucket \(bucket.id) public=\(bucket.isPublic) \(bucket.updatedAt)")
            for object in try objects.catalog.objects(bucket: bucket.id) {
                lines.append("object \(bucket.id)/\(object.key) \(object.version)")
            }
        }
        try store.index.forEachRecord { lines.append("asset \($0.contentHash) \($0.bookIds)") }
        return lines.sorted()
    }

    @Test func strangersCannotGenerateWriteDeleteListOrSign() async throws {
        let dir = TemporaryDirectory()
        let directory = DataDirectory(root: dir.path)
        let store = try AssetStore.open(directory: directory)
        let objects = ObjectStore(directory: directory, catalog: try StorageCatalog(environment: store.index.environment))
        _ = try objects.catalog.ensureBucket(VoiceAssetBucket.bucketRecord(now: 1))
        for (id, isPublic) in [("docs", false), ("open", true)] {
            try objects.catalog.createBucket(
                BucketRecord(
                    id: id, name: id, isPublic: isPublic, fileSizeLimit: nil,
                    allowedMimeTypes: nil, createdAt: 1, updatedAt: 1))
        }
        let upload = ObjectStore.Upload(
            bytes: Array("private words".utf8), mimeType: "text/plain", cacheControl: "max-age=60", userMetadata: nil)
        _ = try objects.put(upload, bucket: "docs", key: "a/b.txt", upsert: false, globalLimit: 1 << 20)
        _ = try objects.put(upload, bucket: "open", key: "c.txt", upsert: false, globalLimit: 1 << 20)
        let metadata = AssetMetadata(voiceId: "v", modelId: "m", outputFormat: "mp3_44100_128", wordCount: 1, characterCount: 1)
        _ = try store.publish(
            SilentMP3.make(frames: 30, seed: 7), hash: Self.assetHash,
            bookId: try StorageIdentifier("book-1", kind: .bookId), metadata: metadata)

        let voice = VoiceService(store: store, synthesizer: nil, dailyCharacterBudget: nil)
        let router = VaultApplication.makeRouter(
            voice: voice, configuration: ServerConfiguration(apiKeys: ["the-key"]),
            storage: StorageSurface(store: objects, signingSecret: Array(repeating: 7, count: 32)))
        let app = Application(router: router, logger: Logger(label: "test"))
        let before = try Self.snapshot(directory, objects, store)
        let checked = try await app.test(.router) { client in
            var checked = 0
            for headers in Self.strangers {
                let voiceBody = #"{"text":"Generate this for free.","voiceId":"21m00Tcm4TlvDq8ikWAM","bookId":"book-2"}"#
                try await client.execute(uri: "/api/voice", method: .post, headers: headers, body: ByteBuffer(string: voiceBody)) {
                    response in
                    #expect(response.status == .unauthorized, "POST /api/voice with \(headers)")
                }
                for call in Self.storageCalls {
                    let path = String(call.path.split(separator: "?", maxSplits: 1)[0])
                    let route = try StorageRoute.parse(method: try Self.storageMethod(call.method), path: Substring(path))
                    let expected = Self.expectation(for: route)
                    try await client.execute(
                        uri: StorageRoutes.prefix + call.path, method: call.method, headers: headers,
                        body: call.body.map { ByteBuffer(string: $0) }
                    ) { response in
                        let text = String(buffer: response.body)
                        let context = "\(call.method) \(call.path) with \(headers): \(response.status) \(text)"
                        switch expected {
                        case .refused:
                            #expect(response.status == .forbidden, "\(context)")
                            #expect(text.contains(#""error":"Unauthorized""#), "\(context)")
                        case .hidden:
                            #expect(response.status == .notFound, "\(context)")
                        case .badToken:
                            #expect(response.status == .badRequest, "\(context)")
                        case .allowed:
                            #expect(response.status == .ok, "\(context)")
                        }
                    }
                    checked += 1
                }
            }
            // The same calls with the key do go through, so the refusals above were about the key alone.
            try await client.execute(
                uri: StorageRoutes.prefix + "/object/list/docs", method: .post,
                headers: [.authorization: "Bearer the-key"], body: ByteBuffer(string: #"{"prefix":"a/"}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("b.txt"))
            }
            return checked
        }
        #expect(checked == Self.strangers.count * Self.storageCalls.count)
        #expect(try Self.snapshot(directory, objects, store) == before)
    }

    /// Every kind of Storage call appears in `storageCalls`, so none escapes the check above.
    @Test func everyStorageCallIsChecked() throws {
        var kinds = Set<String>()
        for call in Self.storageCalls {
            let path = String(call.path.split(separator: "?", maxSplits: 1)[0])
            let route = try StorageRoute.parse(method: try Self.storageMethod(call.method), path: Substring(path))
            kinds.insert(String(describing: route).split(separator: "(")[0].description)
        }
        // StorageRoute's 23 cases; `expectation(for:)` will not compile if one is added without a rule.
        #expect(kinds.count == 23, "\(kinds.sorted())")
    }

    static func storageMethod(_ method: HTTPRequest.Method) throws -> StorageRoute.Method {
        try #require(StorageRoutes.methods.first { $0.http == method }, "the Storage API does not answer \(method)").route
    }

    /// Issue 10: every client key could empty the generated-audio bucket. That wholesale delete is an
    /// operator's: it takes `VOICEVAULT_ADMIN_TOKEN`, and with none configured nobody can.
    @Test(arguments: [nil, "operator-secret"] as [String?])
    func emptyingTheGeneratedAudioTakesTheAdminToken(adminToken: String?) async throws {
        let dir = TemporaryDirectory()
        let directory = DataDirectory(root: dir.path)
        let store = try AssetStore.open(directory: directory)
        let objects = ObjectStore(directory: directory, catalog: try StorageCatalog(environment: store.index.environment))
        _ = try objects.catalog.ensureBucket(VoiceAssetBucket.bucketRecord(now: 1))
        let metadata = AssetMetadata(voiceId: "v", modelId: "m", outputFormat: "mp3_44100_128", wordCount: 1, characterCount: 1)
        _ = try store.publish(
            SilentMP3.make(frames: 30, seed: 7), hash: Self.assetHash,
            bookId: try StorageIdentifier("book-1", kind: .bookId), metadata: metadata)
        let voice = VoiceService(store: store, synthesizer: nil, dailyCharacterBudget: nil)
        let router = VaultApplication.makeRouter(
            voice: voice, configuration: ServerConfiguration(apiKeys: ["the-key"], adminToken: adminToken),
            storage: StorageSurface(store: objects, signingSecret: Array(repeating: 7, count: 32)))
        try await Application(router: router, logger: Logger(label: "test")).test(.router) { client in
            for headers: HTTPFields in [
                [.authorization: "Bearer the-key"], [.init("apikey")!: "the-key"],
                [.authorization: "Bearer wrong"], [.init("apikey")!: adminToken ?? "x"],
            ] {
                try await client.execute(uri: "/storage/v1/bucket/audio/empty", method: .post, headers: headers) { response in
                    #expect(response.status == .forbidden)
                    #expect(String(buffer: response.body).contains("VOICEVAULT_ADMIN_TOKEN"))
                }
            }
            #expect(try store.record(for: Self.assetHash) != nil)
            guard let adminToken else { return }
            try await client.execute(
                uri: "/storage/v1/bucket/audio/empty", method: .post,
                headers: [.authorization: "Bearer \(adminToken)"]
            ) { response in
                #expect(response.status == .ok)
            }
            #expect(try store.record(for: Self.assetHash) == nil)
        }
    }
}
