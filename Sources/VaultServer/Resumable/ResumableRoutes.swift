import Foundation
import Hummingbird
import Logging
import VaultCore

/// Resumable uploads as Supabase Storage speaks TUS 1.0.0, at `/storage/v1/upload/resumable` (with a key) and
/// `/storage/v1/upload/resumable/sign` (with `x-signature: <upload token>` from `object/upload/sign`).
///
/// Extensions: creation, creation-with-upload, creation-defer-length, termination, expiration. An upload
/// names its object in `Upload-Metadata` (`bucketName`, `objectName`, `contentType`, `cacheControl`,
/// `metadata`), is checked against the bucket's rules when it is created, keeps its bytes in `ResumableUploads`
/// (crash-safe, resumable after a restart, and on a cluster through any node) and becomes the object on its last PATCH,
/// through the same crash-safe publication as any upload. Abandoned uploads expire and are swept.
///
/// Every answer carries `Tus-Resumable: 1.0.0`; failures are in Supabase's JSON error shape.
struct ResumableRoutes: Sendable {
    let storage: StorageRoutes
    let uploads: any ResumableUploads
    /// `VOICEVAULT_PUBLIC_BASE_URL`: where clients reach this server (behind a proxy, its public address).
    let publicBaseURL: String?
    /// How long an upload may sit unfinished after its creation.
    let expirySeconds: Int
    /// Most uploads in progress at once: each holds disk until it completes or expires.
    let maximumUploadsInProgress: Int
    private let lastSweep = SweepClock()

    static let path = StorageRoutes.prefix + "/upload/resumable"

    init(storage: StorageRoutes, uploads: any ResumableUploads, publicBaseURL: String?, expirySeconds: Int, maximumUploadsInProgress: Int) {
        self.storage = storage
        self.uploads = uploads
        self.publicBaseURL = publicBaseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.expirySeconds = expirySeconds
        self.maximumUploadsInProgress = maximumUploadsInProgress
    }

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        for signed in [false, true] {
            let base = Self.path + (signed ? "/sign" : "")
            router.on(base, method: .options, recordingIn: table) { _, _ in options() }
            router.on(base, method: .post, recordingIn: table) { request, context in
                await answer { try await create(request, caller: context.caller, signed: signed) }
            }
            router.on("\(base)/:id", method: .options, recordingIn: table) { _, _ in options() }
            router.on("\(base)/:id", method: .head, recordingIn: table) { request, context in
                await answer { try await head(request, id: context.parameters.get("id") ?? "", caller: context.caller) }
            }
            router.on("\(base)/:id", method: .patch, recordingIn: table) { request, context in
                await answer {
                    try await patch(request, id: context.parameters.get("id") ?? "", caller: context.caller, logger: context.logger)
                }
            }
            router.on("\(base)/:id", method: .delete, recordingIn: table) { request, context in
                await answer { try await terminate(request, id: context.parameters.get("id") ?? "", caller: context.caller) }
            }
        }
    }

    // MARK: Calls

    func options() -> Response {
        var headers = Self.tusHeaders()
        headers[.tusVersion] = TusHeaders.version
        headers[.tusExtension] = TusHeaders.extensions
        headers[.tusMaxSize] = String(storage.maximumUploadBytes)
        return Response(status: .noContent, headers: headers)
    }

    func create(_ request: Request, caller: Caller, signed: Bool) async throws -> Response {
        try TusHeaders.checkVersion(request.headers[.tusResumable])
        let metadataHeader = request.headers[.uploadMetadata] ?? ""
        let metadata: TusMetadata
        do { metadata = try TusMetadata(header: metadataHeader) } catch { throw SupabaseError.invalidRequest(error.message) }
        guard let bucket = metadata.bucketName, let key = metadata.objectName else {
            throw SupabaseError.invalidRequest("Upload-Metadata must name bucketName and objectName")
        }
        if let problem = StorageName.bucketProblem(bucket) {
            throw SupabaseError.invalidRequest("Invalid bucket name: \(bucket) \(problem)")
        }
        if let problem = StorageName.keyProblem(key) { throw SupabaseError(.badRequest, "InvalidKey", "Invalid key: \(key) (\(problem))") }
        let upsert = try authorize(request, caller: caller, bucket: bucket, key: key)?.upsert ?? StorageRoutes.upsertRequested(request)
        let source = storage.source(bucket)
        try source.permit(.upload)
        let limit = try await uploadLimit(bucket: bucket)
        let length = try TusHeaders.creationLength(
            uploadLength: request.headers[.uploadLength],
            deferLength: request.headers[.uploadDeferLength], limit: limit.bytes)
        try ObjectAdmission.checkMimeType(metadata.contentType, key: key, in: limit.policy)
        let userMetadata: String?
        do { userMetadata = try metadata.userMetadata() } catch { throw SupabaseError.invalidRequest(error.message) }
        if !upsert, try await source.object(key: key) != nil {
            throw StorageCatalogError.objectExists(bucket: bucket, key: key)
        }
        let location = try location(request, signed: signed)

        let now = Date().timeIntervalSince1970
        let upload = ResumableUpload(
            id: ResumableUploadStore.newId(), bucket: bucket, key: key, length: length, mimeType: metadata.contentType,
            cacheControl: metadata.cacheControl, userMetadata: userMetadata, upsert: upsert, metadataHeader: metadataHeader,
            createdAt: now, expiresAt: now + Double(expirySeconds))
        let uploads = uploads
        let maximum = maximumUploadsInProgress
        let sweepDue = lastSweep.due(now: now, every: min(60, Double(expirySeconds)))
        if sweepDue { try await uploads.sweep(now: now) }
        do { try await uploads.create(upload, maximumInProgress: maximum) } catch ResumableUploadError.tooManyUploads {
            throw SupabaseError(
                .tooManyRequests, "too_many_uploads",
                "\(maximum) resumable uploads are in progress; finish or terminate some first", code: "SlowDown")
        }
        var headers = Self.tusHeaders()
        headers[.location] = location + "/" + upload.id
        headers[.uploadExpires] = HTTPDate.format(Int64(upload.expiresAt))
        // creation-with-upload: the body, if any, is the first PATCH.
        if let contentType = request.headers[.contentType], TusHeaders.isOffsetStream(contentType) {
            guard uploads.claim(upload.id) else { throw Self.busy }
            defer { uploads.release(upload.id) }
            let written = try await receive(request.body, into: upload)
            headers[.uploadOffset] = String(written.offset)
        }
        return Response(status: .created, headers: headers)
    }

    func head(_ request: Request, id: String, caller: Caller) async throws -> Response {
        try TusHeaders.checkVersion(request.headers[.tusResumable])
        let upload = try await current(id, request: request, caller: caller)
        var headers = Self.tusHeaders()
        headers[.uploadOffset] = String(upload.offset)
        if let length = upload.length { headers[.uploadLength] = String(length) } else { headers[.uploadDeferLength] = "1" }
        if !upload.metadataHeader.isEmpty { headers[.uploadMetadata] = upload.metadataHeader }
        headers[.uploadExpires] = HTTPDate.format(Int64(upload.expiresAt))
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers)
    }

    func patch(_ request: Request, id: String, caller: Caller, logger: Logger) async throws -> Response {
        try TusHeaders.checkVersion(request.headers[.tusResumable])
        try TusHeaders.checkPatchType(request.headers[.contentType])
        guard ResumableUpload.isValidId(id), uploads.claim(id) else {
            throw ResumableUpload.isValidId(id) ? Self.busy : Self.notFound
        }
        defer { uploads.release(id) }
        var upload = try await current(id, request: request, caller: caller, claimed: true)
        _ = try TusHeaders.patchOffset(request.headers[.uploadOffset], expected: upload.offset)
        let limit = try await uploadLimit(bucket: upload.bucket).bytes
        if upload.length == nil,
            let length = try TusHeaders.deferredLength(request.headers[.uploadLength], offset: upload.offset, limit: limit)
        {
            upload = try await uploads.setLength(length, of: upload)
        }
        upload = try await receive(request.body, into: upload)
        var headers = Self.tusHeaders()
        headers[.uploadOffset] = String(upload.offset)
        headers[.uploadExpires] = HTTPDate.format(Int64(upload.expiresAt))
        return Response(status: .noContent, headers: headers)
    }

    func terminate(_ request: Request, id: String, caller: Caller) async throws -> Response {
        try TusHeaders.checkVersion(request.headers[.tusResumable])
        guard ResumableUpload.isValidId(id), uploads.claim(id) else {
            throw ResumableUpload.isValidId(id) ? Self.busy : Self.notFound
        }
        defer { uploads.release(id) }
        let upload = try await current(id, request: request, caller: caller, claimed: true)
        try await uploads.remove(upload.id)
        return Response(status: .noContent, headers: Self.tusHeaders())
    }

    // MARK: Steps

    /// Streams a request body into the upload from its offset, checkpointing as it goes, and publishes the
    /// object when the last byte arrives. A body cut short keeps every byte that arrived (checkpointed), so the
    /// client resumes from there.
    func receive(_ body: RequestBody, into upload: ResumableUpload) async throws -> ResumableUpload {
        let limit = try await uploadLimit(bucket: upload.bucket).bytes
        let ceiling = upload.length ?? limit
        let writer = try await uploads.sink(for: upload)
        var pending: [UInt8] = []
        var received = upload.offset
        do {
            for try await buffer in body {
                received += buffer.readableBytes
                guard received <= ceiling else {
                    throw upload.length == nil
                        ? ObjectStore.Failure.tooLarge(limit: limit)
                        : SupabaseError(
                            .contentTooLarge, "Payload too large", "the PATCH carries bytes beyond Upload-Length \(ceiling)",
                            code: "EntityTooLarge")
                }
                pending.append(contentsOf: buffer.readableBytesView)
                if pending.count >= UploadReceiver.writeBatchBytes {
                    let batch = pending
                    pending.removeAll(keepingCapacity: true)
                    try await writer.append(batch)
                }
            }
            try await writer.append(pending)
            let finished = try await writer.close()
            guard finished.isComplete else { return finished }
            _ = try await uploads.complete(finished, globalLimit: storage.maximumUploadBytes)
            return finished
        } catch {
            // Keep what arrived whole before the failure; an oversized tail is not counted.
            if !(error is ObjectStore.Failure), !(error is SupabaseError) {
                _ = try? await writer.close()
            } else {
                _ = try? await writer.closeDiscardingUncounted()
            }
            throw error
        }
    }

    /// The upload `id` if it exists, has not expired, and the caller may touch it. An expired one is removed
    /// (410) by whoever holds it: this request when it `claimed` the upload, else only if no writer holds it.
    func current(_ id: String, request: Request, caller: Caller, claimed: Bool = false) async throws -> ResumableUpload {
        guard ResumableUpload.isValidId(id) else { throw Self.notFound }
        guard let upload = try await uploads.upload(id) else { throw Self.notFound }
        _ = try authorize(request, caller: caller, bucket: upload.bucket, key: upload.key)
        guard upload.expiresAt > Date().timeIntervalSince1970 else {
            if claimed || uploads.claim(id) {
                try? await uploads.remove(id)
                if !claimed { uploads.release(id) }
            }
            throw SupabaseError(.gone, "not_found", "the upload expired and was removed", code: "NoSuchUpload")
        }
        return upload
    }

    /// The bucket's settings and the most bytes an upload to it may have.
    func uploadLimit(bucket: String) async throws -> (policy: BucketRecord, bytes: Int) {
        guard let policy = try await storage.buckets.bucket(bucket) else { throw StorageCatalogError.bucketNotFound(bucket) }
        return (policy, ObjectAdmission.uploadLimit(policy, globalLimit: storage.maximumUploadBytes))
    }

    /// A client key, or an `x-signature` upload token for this object. Returns the token's grant when one
    /// was used (its upsert choice is the upload's).
    func authorize(_ request: Request, caller: Caller, bucket: String, key: String) throws -> SignedURLToken.Grant? {
        if let token = request.headers[.xSignature] {
            return try storage.verifiedGrant(token: token, bucket: bucket, key: key, scope: .upload)
        }
        guard caller.clientKey != nil else { throw SupabaseError.unauthorized }
        return nil
    }

    /// Where the upload will live: absolute, from `VOICEVAULT_PUBLIC_BASE_URL` when set (right behind a proxy),
    /// else from the request's `Host`.
    func location(_ request: Request, signed: Bool) throws -> String {
        let path = Self.path + (signed ? "/sign" : "")
        if let publicBaseURL { return publicBaseURL + path }
        guard let host = request.head.authority, Self.isPlainHost(host) else {
            throw SupabaseError.invalidRequest("a Host header is needed to say where the upload lives (or set VOICEVAULT_PUBLIC_BASE_URL)")
        }
        return "http://" + host + path
    }

    /// A host and optional port: letters, digits, `.-:[]` only (a Host header must not smuggle a path, a
    /// fragment or user info into the Location).
    static func isPlainHost(_ host: String) -> Bool {
        !host.isEmpty && host.utf8.count <= 255
            && host.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default: ".-:[]".utf8.contains(byte)
                }
            }
    }

    static func tusHeaders() -> HTTPFields {
        var headers = HTTPFields()
        headers[.tusResumable] = TusHeaders.version
        return headers
    }

    static let notFound = SupabaseError(.notFound, "not_found", "no such upload", code: "NoSuchUpload")
    static let busy = SupabaseError(
        .conflict, "InvalidRequest", "another request is writing to this upload; retry after it ends", code: "InvalidRequest")

    /// Runs a call and answers its failure in Supabase's shape, with `Tus-Resumable`.
    func answer(_ call: () async throws -> Response) async -> Response {
        var response: Response
        do {
            response = try await call()
        } catch let failure as TusHeaders.Failure {
            response = SupabaseError(HTTPResponse.Status(code: failure.status), failure.code, failure.message, code: failure.code)
                .response()
        } catch {
            response =
                (SupabaseError.from(error)
                ?? SupabaseError(.internalServerError, "internal", "the server failed to handle this upload; see its log")).response()
        }
        response.headers[.tusResumable] = TusHeaders.version
        return response
    }
}

/// When the last opportunistic sweep of expired uploads ran (creations trigger one at most once a minute).
final class SweepClock: @unchecked Sendable {
    // @unchecked: `last` is only touched under `lock`.
    private let lock = NSLock()
    private var last = 0.0

    func due(now: Double, every interval: Double) -> Bool {
        lock.withLock {
            guard now - last >= interval else { return false }
            last = now
            return true
        }
    }
}
