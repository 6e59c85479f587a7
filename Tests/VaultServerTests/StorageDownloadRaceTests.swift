import Foundation
import Hummingbird
import NIOPosix
import Testing
import VaultTestSupport
@testable import VaultCore
@testable import VaultServer

/// Issue 10: a download racing an overwrite could get a false 404 (36 of 40,000): the route read the record,
/// the upsert replaced the object and removed the old version's file, and opening it failed. The moment in
/// between is set up here exactly: the route holds the old record while the key already names a new version.
@Suite struct StorageDownloadRaceTests {
    @Test func aDownloadWhoseVersionWasJustReplacedServesTheNewOneAndOneWhoseObjectWentIs404() async throws {
        let dir = TemporaryDirectory()
        let directory = DataDirectory(root: dir.path)
        let store = try AssetStore.open(directory: directory)
        let objects = ObjectStore(directory: directory, catalog: try StorageCatalog(environment: store.index.environment))
        try objects.catalog.createBucket(
            BucketRecord(
                id: "b", name: "b", isPublic: true, fileSizeLimit: nil,
                allowedMimeTypes: nil, createdAt: 1, updatedAt: 1))
        func upload(_ text: String) throws -> ObjectRecord {
            try objects.put(
                ObjectStore.Upload(bytes: Array(text.utf8), mimeType: "text/plain", cacheControl: "no-cache", userMetadata: nil),
                bucket: "b", key: "k", upsert: true, globalLimit: 1 << 20)
        }
        let stale = try upload("first version")
        _ = try upload("second version!")  // removes the first version's file
        let routes = StorageRoutes(
            objects: objects, uploaded: .dataDirectory(objects, cache: HotFileCache(capacity: 0, entryLimit: 0)), staging: directory,
            signer: SignedURLToken(secret: Array(repeating: 1, count: 32)),
            generatedAudio: GeneratedAudioSource(
                assets: VoiceAssetBucket(store: store), cache: HotFileCache(capacity: 0, entryLimit: 0), heard: nil),
            maximumUploadBytes: 1 << 20, responder: DownloadResponder(), adminConfigured: false)
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/storage/v1/object/public/b/k"),
            body: RequestBody(buffer: ByteBuffer()))
        let source = routes.source("b")
        let reads = StreamedFileReads(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let response = try await routes.serve(stale, from: source, request, head: false, reads: reads)
        #expect(response.status == .ok)
        #expect(response.headers[.contentLength] == String("second version!".utf8.count))
        #expect(response.headers[.eTag] == "\"\(SHA256Digest.of(Array("second version!".utf8)).hex)\"")
        // A version file whose size is not the record's is never sent (Content-Length comes from the record).
        let current = try #require(try objects.catalog.object(bucket: "b", key: "k"))
        try FileSystem.removeFile(objects.path(of: current))
        try Data("a different length".utf8).write(to: URL(fileURLWithPath: objects.path(of: current)))
        await #expect(throws: SupabaseError.self) { try await routes.serve(current, from: source, request, head: false, reads: reads) }
        #expect(try await routes.serve(current, from: source, request, head: true, reads: reads).status == .ok)
        // Gone altogether: a clean 404, not a 500.
        _ = try objects.remove(bucket: "b", keys: ["k"])
        await #expect(throws: SupabaseError.objectNotFound) {
            try await routes.serve(stale, from: source, request, head: false, reads: reads)
        }
    }
}
