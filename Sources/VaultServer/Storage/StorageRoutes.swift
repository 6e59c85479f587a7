import Foundation
import Hummingbird
import Logging
import VaultCore

/// The Supabase Storage surface under `/storage/v1`, for clients moving off Supabase unchanged.
///
/// One catch-all route per method hands the raw path to `StorageRoute`, which decodes it exactly once and
/// names the call; this type checks access and carries the call out. Every failure is answered in Supabase's
/// error shape (never the voice API's), because the official clients parse it.
///
/// Access: a key from `VOICEVAULT_API_KEYS` (as `apikey` or `Authorization: Bearer`) may do everything.
/// Without one (or with any other key, such as a Supabase anon key) a client may only read objects of public
/// buckets, and fetch signed URLs, which carry their own proof.
///
/// Each call works on its bucket's `StorageObjectSource`: the object catalog for uploaded buckets, the asset
/// index for the bucket `audio` (the generated voice assets, which refuse uploads and bucket changes).
struct StorageRoutes: Sendable {
    /// The data directory's objects, which S3 and TUS (not yet served by cluster nodes) use directly.
    let objects: ObjectStore
    /// Where uploaded buckets live: the data directory, or the cluster's catalog and blob store.
    let uploaded: UploadedObjects
    /// Where uploads are staged on this node's disk as they arrive.
    let staging: DataDirectory
    let signer: SignedURLToken
    let generatedAudio: any StorageObjectSource
    let maximumUploadBytes: Int
    let responder: DownloadResponder
    /// Whether the server has a `VOICEVAULT_ADMIN_TOKEN` (for a clearer refusal when it has none).
    let adminConfigured: Bool
    static let prefix = "/storage/v1"

    /// The buckets' records.
    var buckets: any ObjectCatalog { uploaded.buckets }

    /// Where `bucket`'s objects live.
    func source(_ bucket: String) -> any StorageObjectSource {
        bucket == VoiceAssetBucket.name ? generatedAudio : uploaded.source(bucket, maximumUploadBytes: maximumUploadBytes)
    }

    /// The HTTP methods the Storage API answers, each with the name `StorageRoute` parses it under.
    static let methods: [(http: HTTPRequest.Method, route: StorageRoute.Method)] = [
        (.get, .get), (.head, .head), (.post, .post), (.put, .put), (.delete, .delete),
    ]

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        for (httpMethod, method) in Self.methods {
            router.on("\(Self.prefix)/**", method: httpMethod, recordingIn: table) { request, context in
                await handle(request, method: method, caller: context.caller, logger: context.logger, reads: context.fileReads)
            }
        }
    }

    func handle(_ request: Request, method: StorageRoute.Method, caller: Caller, logger: Logger, reads: StreamedFileReads) async -> Response
    {
        do {
            let path = request.uri.path.dropFirst(Self.prefix.count)
            let route = try StorageRoute.parse(method: method, path: path)
            return try await perform(route, request, Access(authorized: caller.clientKey != nil, admin: caller.isAdmin), reads: reads)
        } catch {
            if let known = SupabaseError.from(error) { return known.response() }
            logger.error("storage request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return SupabaseError(.internalServerError, "internal", "the server failed to handle this request; see its log").response()
        }
    }

    struct Access {
        let authorized: Bool
        /// The caller presented `VOICEVAULT_ADMIN_TOKEN` as `Authorization: Bearer`.
        let admin: Bool
        func require() throws {
            guard authorized else { throw SupabaseError.unauthorized }
        }
    }

    func perform(_ route: StorageRoute, _ request: Request, _ access: Access, reads: StreamedFileReads) async throws -> Response {
        switch route {
        case .listBuckets:
            try access.require()
            let parameters = request.uri.queryParameters
            let query = try BucketQuery { parameters.get($0) }
            return StorageJSON.response(query.apply(to: try await buckets.allBuckets()).map(StorageJSON.bucket))
        case let .getBucket(name):
            try access.require()
            guard let bucket = try await buckets.bucket(name) else { throw SupabaseError.bucketNotFound }
            return StorageJSON.response(StorageJSON.bucket(bucket))
        case .createBucket:
            try access.require()
            return try await createBucket(try await Self.jsonBody(request))
        case let .updateBucket(name):
            try access.require()
            try source(name).permit(.settings)
            return try await updateBucket(name, try await Self.jsonBody(request))
        case let .emptyBucket(name):
            if name == VoiceAssetBucket.name {
                // Every book's generated audio at once: an operator's act, not a client's.
                guard adminConfigured else {
                    throw SupabaseError(
                        .forbidden, "Unauthorized",
                        "emptying the generated audio bucket takes VOICEVAULT_ADMIN_TOKEN, and this server has none configured")
                }
                guard access.admin else {
                    throw SupabaseError(
                        .forbidden, "Unauthorized",
                        "emptying the generated audio bucket takes Authorization: Bearer <VOICEVAULT_ADMIN_TOKEN>; a client key cannot")
                }
            } else {
                try access.require()
            }
            guard try await buckets.bucket(name) != nil else { throw SupabaseError.bucketNotFound }
            try await source(name).empty()
            return StorageJSON.response(["message": "Successfully emptied"])
        case let .deleteBucket(name):
            try access.require()
            try source(name).permit(.deletion)
            try await buckets.deleteBucket(name)
            return StorageJSON.response(["message": "Successfully deleted"])
        case let .upload(bucket, key):
            try access.require()
            try source(bucket).permit(.upload)
            return try await upload(request, bucket: bucket, key: key, upsert: Self.upsertRequested(request))
        case let .update(bucket, key):
            try access.require()
            try source(bucket).permit(.replacement)
            return try await upload(request, bucket: bucket, key: key, upsert: true)
        case let .download(bucket, key, head):
            let record = try await readableObject(bucket: bucket, key: key, access: access)
            return try await serve(record, from: source(bucket), request, head: head, reads: reads)
        case let .publicDownload(bucket, key, head):
            guard let policy = try await buckets.bucket(bucket), policy.isPublic else { throw SupabaseError.objectNotFound }
            let source = source(bucket)
            guard let record = try await source.object(key: key) else { throw SupabaseError.objectNotFound }
            return try await serve(record, from: source, request, head: head, reads: reads)
        case let .signedDownload(bucket, key, head):
            let grant = try verifiedGrant(request, bucket: bucket, key: key, scope: .download)
            let source = source(bucket)
            guard let record = try await source.object(key: key) else { throw SupabaseError.objectNotFound }
            // The token's expiry, not the object's cache control: no cache keeps a signed answer past it.
            return try await serve(record, from: source, request, head: head, reads: reads, signedUntil: grant.expiresAt)
        case let .signUpload(bucket, key):
            try access.require()
            return try await signUpload(bucket: bucket, key: key, request)
        case let .signedUpload(bucket, key):
            return try await signedUpload(bucket: bucket, key: key, request)
        case let .listV2(bucket):
            try access.require()
            return try await listV2(bucket, try await Self.jsonBody(request))
        case .purgeCache:
            // storage-js `purgeCache`: there is no CDN in front of VoiceVault to purge, so it is done.
            try access.require()
            return StorageJSON.response(["message": "success"])
        case let .info(bucket, key):
            let record = try await readableObject(bucket: bucket, key: key, access: access)
            return StorageJSON.response(StorageJSON.info(record))
        case let .list(bucket):
            try access.require()
            return try await list(bucket, try await Self.jsonBody(request))
        case let .remove(bucket):
            try access.require()
            let body = try await Self.jsonBody(request)
            guard let prefixes = body["prefixes"] as? [String] else {
                throw SupabaseError.invalidRequest("body must have \"prefixes\": [keys]")
            }
            return try await remove(bucket, keys: prefixes)
        case let .removeOne(bucket, key):
            try access.require()
            let removed = try await source(bucket).remove(keys: [key])
            guard !removed.isEmpty else { throw SupabaseError.objectNotFound }
            return StorageJSON.response(["message": "Successfully deleted"])
        case .move, .copy:
            try access.require()
            return try await moveOrCopy(
                route == .move, try await Self.jsonBody(request), upsert: route == .copy && Self.upsertRequested(request))
        case let .sign(bucket, key):
            try access.require()
            let body = try await Self.jsonBody(request)
            guard try await source(bucket).object(key: key) != nil else { throw SupabaseError.objectNotFound }
            return StorageJSON.response(["signedURL": try signedURL(bucket: bucket, key: key, body: body)])
        case let .signMany(bucket):
            try access.require()
            let body = try await Self.jsonBody(request)
            guard let paths = body["paths"] as? [String] else { throw SupabaseError.invalidRequest("body must have \"paths\": [keys]") }
            let source = source(bucket)
            var answers: [[String: Any]] = []
            for path in paths {
                let exists = StorageName.keyProblem(path) == nil ? try await source.object(key: path) != nil : false
                answers.append([
                    "path": path,
                    "signedURL": exists ? try signedURL(bucket: bucket, key: path, body: body) : NSNull(),
                    "error": exists ? NSNull() : "Either the object does not exist or you do not have access to it",
                ])
            }
            return StorageJSON.response(answers)
        }
    }

    // MARK: Objects

    /// An object the caller may read: any, with a key; otherwise only in a public bucket.
    func readableObject(bucket: String, key: String, access: Access) async throws -> ObjectRecord {
        guard let policy = try await buckets.bucket(bucket) else {
            throw access.authorized ? SupabaseError.bucketNotFound : SupabaseError.objectNotFound
        }
        guard access.authorized || policy.isPublic else { throw SupabaseError.objectNotFound }
        guard let record = try await source(bucket).object(key: key) else { throw SupabaseError.objectNotFound }
        return record
    }

    /// Answers a download of `record`. Its version's file can go between reading the record and opening it
    /// (an upsert replaced the object, and the old version was removed): the record is read once more and
    /// the new version served, so a download racing an overwrite gets one version or the other, never a
    /// false 404.
    func serve(
        _ record: ObjectRecord, from source: any StorageObjectSource, _ request: Request, head: Bool,
        reads: StreamedFileReads, signedUntil: Int64? = nil
    ) async throws -> Response {
        var record = record
        while true {
            do {
                guard try await source.prepare(record) else { throw DownloadResponder.Missing.noFile }
                var response = try serveOnce(record, from: source, request, head: head, reads: reads)
                if let expiry = signedUntil {
                    response.headers[.cacheControl] = nil
                    response.headers[.expires] = HTTPDate.format(expiry)
                }
                return response
            } catch DownloadResponder.Missing.noFile {
                guard let current = try await source.object(key: record.key), current.version != record.version else {
                    throw SupabaseError.objectNotFound
                }
                record = current
            } catch let DownloadResponder.Missing.wrongLength(expected, found) {
                throw SupabaseError(
                    .internalServerError, "internal",
                    "the stored object has \(found) bytes where its record says \(expected); the operator should run voicevault fsck")
            }
        }
    }

    private func serveOnce(
        _ record: ObjectRecord, from source: any StorageObjectSource, _ request: Request, head: Bool,
        reads: StreamedFileReads
    ) throws -> Response {
        let representation = Self.representation(of: record, requestedName: DownloadRoutes.downloadParameter(request.uri.query))
        return try responder.respond(
            request, method: head ? .head : .get, representation: representation, reads: reads,
            bytes: { try source.bytes(of: record) }
        ) { status, code, message in
            SupabaseError(status, code, message).response()
        }
    }

    /// How an object is downloaded, through the REST surface or S3: its type and cache control, its SHA-256 as
    /// the strong ETag, and `Content-Disposition: attachment` when asked for (`requestedName`, empty for the
    /// key's own name) or when its type would run in a browser on this origin (HTML, SVG, XML, script...).
    static func representation(of record: ObjectRecord, requestedName: String?) -> DownloadRepresentation {
        let name = record.key.split(separator: "/").last.map(String.init) ?? record.key
        let requested = requestedName ?? (isSafeInline(record.mimeType) ? nil : "")
        let disposition = requested.map {
            "attachment; filename=\"\(DownloadRoutes.safeFilename($0.isEmpty ? name : $0, fallback: "download", requiredExtension: nil))\""
        }
        return DownloadRepresentation(
            facts: DownloadFacts(
                length: UInt64(record.size), entityTag: "\"\(record.sha256)\"", lastModified: Int64(record.updatedAt.rounded(.down))),
            contentType: record.mimeType, cacheControl: record.cacheControl, contentDisposition: disposition)
    }

    /// Types a browser shows without running anything: media, plain text, JSON, opaque bytes. Anything else
    /// a user uploaded (HTML, SVG, XML, JavaScript, PDF...) is served as an attachment, never rendered on the
    /// API's origin.
    static func isSafeInline(_ mimeType: String) -> Bool {
        let essence = BucketPolicy.mediaTypeEssence(mimeType)
        if essence == "image/svg+xml" { return false }
        for prefix in ["audio/", "video/", "image/"] where essence.utf8.starts(with: prefix.utf8) { return true }
        return ["text/plain", "application/json", "application/octet-stream"].contains(essence)
    }

    /// Streams the body to a staging file (bounded memory for any size), then publishes it crash-safely.
    func upload(_ request: Request, bucket: String, key: String, upsert: Bool) async throws -> Response {
        guard let policy = try await buckets.bucket(bucket) else { throw StorageCatalogError.bucketNotFound(bucket) }
        let limit = ObjectAdmission.uploadLimit(policy, globalLimit: maximumUploadBytes)
        let received = try await UploadReceiver(staging: staging, policy: policy).receive(request, key: key, limit: limit)
        defer { received.file.discard() }  // a no-op once the file has been renamed into place
        let record = try await source(bucket).put(
            StagedUpload(
                staged: received.staged, mimeType: received.mimeType, cacheControl: received.cacheControl,
                userMetadata: received.userMetadata),
            key: key, upsert: upsert)
        return StorageJSON.response(["Id": record.id, "Key": "\(bucket)/\(key)"])
    }

    /// `"3600"` -> `max-age=3600` (Supabase's rule); anything else is kept verbatim; absent -> `no-cache`, as
    /// upstream stores it (the clients send `3600` themselves when the caller says nothing).
    static func cacheControlValue(_ field: String?) -> String {
        let value = (field ?? "").trimmingCharacters(in: .whitespaces)
        if value.isEmpty { return "no-cache" }
        return value.allSatisfy(\.isNumber) ? "max-age=\(value)" : value
    }

    func list(_ bucket: String, _ body: [String: Any]) async throws -> Response {
        guard try await buckets.bucket(bucket) != nil else { throw SupabaseError.bucketNotFound }
        let sortBy = body["sortBy"] as? [String: Any] ?? [:]
        let columnName = sortBy["column"] as? String ?? "name"
        guard let column = ObjectListing.Column(rawValue: columnName) else {
            throw SupabaseError.invalidRequest("sortBy.column must be one of \(ObjectListing.Column.allCases.map(\.rawValue))")
        }
        let listing = ObjectListing(
            prefix: body["prefix"] as? String ?? "", search: body["search"] as? String ?? "", column: column,
            ascending: (sortBy["order"] as? String ?? "asc").lowercased() != "desc",
            limit: Self.integer(body["limit"]) ?? ObjectListing.defaultLimit, offset: Self.integer(body["offset"]) ?? 0)
        let source = source(bucket)
        let folder = listing.folder
        let contents: (folders: [String], objects: [ObjectRecord])
        if listing.needsDeepRecords {
            let everything = try await source.keyPage(KeyPageRequest(prefix: folder, delimited: false, limit: Self.maximumSortedListing))
            guard !everything.isTruncated else {
                throw SupabaseError.invalidRequest(
                    "a search with '/' reads every key under the folder, and this one has more than \(Self.maximumSortedListing)")
            }
            contents = ([], everything.entries.compactMap { if case let .object(record) = $0 { record } else { nil } })
        } else {
            contents = try await source.folderContents(folder)
        }
        return StorageJSON.response(listing.entries(contents.objects, knownFolders: contents.folders).map(StorageJSON.listEntry))
    }

    func remove(_ bucket: String, keys: [String]) async throws -> Response {
        let valid = keys.filter { StorageName.keyProblem($0) == nil }
        let removed = try await source(bucket).remove(keys: valid)
        return StorageJSON.response(removed.map(StorageJSON.removedRow))
    }

    func moveOrCopy(_ isMove: Bool, _ body: [String: Any], upsert: Bool) async throws -> Response {
        guard let bucket = body["bucketId"] as? String, let source = body["sourceKey"] as? String,
            let destination = body["destinationKey"] as? String
        else { throw SupabaseError.invalidRequest("body must have bucketId, sourceKey and destinationKey") }
        // supabase-js sends `destinationBucket` to move or copy into another bucket; absent means the same one.
        let destinationBucket = body["destinationBucket"] as? String ?? bucket
        for key in [source, destination] {
            if let problem = StorageName.keyProblem(key) {
                throw SupabaseError(.badRequest, "InvalidKey", "Invalid key: \(key) (\(problem))")
            }
        }
        for name in [bucket, destinationBucket] {
            guard try await buckets.bucket(name) != nil else { throw SupabaseError.bucketNotFound }
        }
        let from = self.source(bucket)
        let record: ObjectRecord
        if destinationBucket == bucket {
            record = try await from.copy(from: source, to: destination, move: isMove, upsert: upsert)
        } else {
            record = try await transfer(from: from, key: source, to: destinationBucket, key: destination, move: isMove, upsert: upsert)
        }
        return StorageJSON.response(
            isMove ? ["message": "Successfully moved"] : ["Id": record.id, "Key": "\(destinationBucket)/\(destination)"])
    }

    /// Between buckets: the destination takes the source's immutable bytes as a new version (a hard link in a
    /// data directory, the same blob in a cluster), under its own rules (size limit, MIME types), then a move
    /// removes the source key. No bytes are copied, and a crash between the two steps leaves both keys, never
    /// neither. The generated `audio` bucket can be a source (its MP3s become ordinary objects) but not a
    /// destination.
    func transfer(
        from: any StorageObjectSource, key: String, to bucket: String, key destination: String, move: Bool,
        upsert: Bool = false
    ) async throws -> ObjectRecord {
        let target = source(bucket)
        try target.permit(.upload)
        guard let original = try await from.object(key: key) else { throw SupabaseError.objectNotFound }
        let adopted = try await target.adopt(original, from: from, key: destination, upsert: upsert)
        // Only the version that was moved goes: an upsert that replaced the source meanwhile was answered
        // 200 and must stay.
        if move { _ = try await from.remove(key: key, ifStill: original) }
        return adopted
    }

    // MARK: Buckets

    func createBucket(_ body: [String: Any]) async throws -> Response {
        guard let id = body["id"] as? String ?? body["name"] as? String else { throw SupabaseError.invalidRequest("body must have \"id\"") }
        if let problem = StorageName.newBucketProblem(id) { throw SupabaseError.invalidRequest("Invalid bucket name: \(id) \(problem)") }
        let now = Date().timeIntervalSince1970
        let record = BucketRecord(
            id: id, name: body["name"] as? String ?? id, isPublic: body["public"] as? Bool ?? false,
            fileSizeLimit: try Self.sizeLimit(body["file_size_limit"]), allowedMimeTypes: try Self.mimeTypes(body["allowed_mime_types"]),
            createdAt: now, updatedAt: now)
        try await buckets.createBucket(record)
        return StorageJSON.response(["name": id])
    }

    func updateBucket(_ name: String, _ body: [String: Any]) async throws -> Response {
        let isPublic = body["public"] as? Bool
        let limitGiven = body.keys.contains("file_size_limit")
        let limit = try Self.sizeLimit(body["file_size_limit"])
        let typesGiven = body.keys.contains("allowed_mime_types")
        let types = try Self.mimeTypes(body["allowed_mime_types"])
        _ = try await buckets.updateBucket(name) { record in
            if let isPublic { record.isPublic = isPublic }
            if limitGiven { record.fileSizeLimit = limit }
            if typesGiven { record.allowedMimeTypes = types }
            record.updatedAt = Date().timeIntervalSince1970
        }
        return StorageJSON.response(["message": "Successfully updated"])
    }

    /// `file_size_limit`: bytes as a number, or a string such as "50MB"; null or 0 for none.
    static func sizeLimit(_ value: Any?) throws -> Int? {
        switch value {
        case nil, is NSNull: return nil
        case let text as String:
            guard let bytes = BucketPolicy.parseSizeLimit(text) else {
                throw SupabaseError.invalidRequest("file_size_limit '\(text)' is not a size such as 1048576, \"50MB\" or \"1GB\"")
            }
            return bytes == 0 ? nil : bytes
        default:
            guard let bytes = integer(value), bytes >= 0 else {
                throw SupabaseError.invalidRequest("file_size_limit must be a non-negative size")
            }
            return bytes == 0 ? nil : bytes
        }
    }

    /// Most entries an `allowed_mime_types` list may have, and longest entry (RFC 6838 caps a type and a
    /// subtype at 127 characters each). Every upload is checked against the list, so its size is bounded.
    static let maximumMimeTypes = 100
    static let maximumMimeTypeLength = 255

    static func mimeTypes(_ value: Any?) throws -> [String]? {
        switch value {
        case nil, is NSNull: return nil
        case let list as [String]:
            guard list.count <= maximumMimeTypes else {
                throw SupabaseError.invalidRequest("allowed_mime_types has \(list.count) entries; at most \(maximumMimeTypes) are allowed")
            }
            for type in list where type.utf8.count > maximumMimeTypeLength || !FieldBytes.isASCII(type.utf8) {
                throw SupabaseError.invalidRequest(
                    "allowed_mime_types entries must be ASCII of at most \(maximumMimeTypeLength) characters")
            }
            for type in list where type.split(separator: "/").count != 2 {
                throw SupabaseError.invalidRequest("allowed_mime_types entry '\(type)' is not a type/subtype such as audio/mpeg or audio/*")
            }
            return list.isEmpty ? nil : list
        default: throw SupabaseError.invalidRequest("allowed_mime_types must be a list of MIME types")
        }
    }

    // MARK: Signed URLs

    /// `/object/sign/<bucket>/<key>?token=...`, relative to `/storage/v1` as the clients expect, with the key
    /// **unescaped** as upstream sends it: storage-js applies `encodeURI` to base + signedURL, so a key escaped
    /// here (`%20`) would arrive escaped twice (`%2520`). Only `?` is escaped (`%3F`): left bare it would end
    /// the path for every client.
    func signedURL(bucket: String, key: String, body: [String: Any]) throws -> String {
        guard let seconds = Self.integer(body["expiresIn"]), seconds > 0 else {
            throw SupabaseError.invalidRequest("expiresIn must be a positive number of seconds (a number or a string)")
        }
        let now = Int64(Date().timeIntervalSince1970)
        let token = signer.issue(bucket: bucket, key: key, expiresAt: now + Int64(min(seconds, 10 * 365 * 86400)), issuedAt: now)
        return "/object/sign/\(Self.bareSegment(bucket))/\(Self.bareSegment(key))?token=\(token)"
    }

    // MARK: Request bodies

    /// Largest JSON body a Storage call takes (a remove or batch-sign of thousands of keys fits easily).
    static let maximumJSONBodyBytes = 1 << 20

    static func jsonBody(_ request: Request) async throws -> [String: Any] {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: maximumJSONBodyBytes) } catch {
            throw SupabaseError(.contentTooLarge, "Payload too large", "the JSON body is larger than \(maximumJSONBodyBytes) bytes")
        }
        guard buffer.readableBytes > 0 else { return [:] }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] else {
            throw SupabaseError.invalidRequest("the body must be a JSON object")
        }
        return object
    }

    /// An integer from JSON that clients send as a number or a numeric string (`expiresIn: "3600"`).
    static func integer(_ value: Any?) -> Int? {
        switch value {
        case let text as String: return Int(text.trimmingCharacters(in: .whitespaces))
        case let number as NSNumber:
            let double = number.doubleValue
            return double.isFinite && double == double.rounded() && abs(double) < 1e15 ? Int(double) : nil
        default: return nil
        }
    }
}
