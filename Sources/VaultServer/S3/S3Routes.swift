import Foundation
import HTTPTypes
import Hummingbird
import Logging
import VaultCore

/// The S3 protocol at `/storage/v1/s3`, as Supabase Storage offers it: path-style addressing, SigV4 (header or
/// presigned) against the one access key pair in `VOICEVAULT_S3_ACCESS_KEY_ID` / `_SECRET_ACCESS_KEY` (which
/// acts as the service role), XML answers and errors. Off (every call refused) without that pair.
///
/// It works on the same buckets and objects as the REST surface (`StorageRoutes`' sources, the same
/// crash-safe writes and bucket rules). The generated `audio` bucket is read-only here, deletes included: an S3
/// client syncing a folder with deletion could otherwise drop every book's audio.
struct S3Routes: Sendable {
    let storage: StorageRoutes
    let multipart: any MultipartUploads
    let verifier: SigV4Verifier?
    /// Most multipart uploads in progress at once (`VOICEVAULT_RESUMABLE_MAX_UPLOADS`, as for TUS uploads).
    let maximumUploadsInProgress: Int
    let lastSweep = SweepClock()

    static let path = StorageRoutes.prefix + "/s3"
    static let methods: [HTTPRequest.Method] = [.get, .head, .put, .post, .delete]

    init(storage: StorageRoutes, multipart: any MultipartUploads, credentials: SigV4Verifier.Credentials?, maximumUploadsInProgress: Int) {
        self.storage = storage
        self.multipart = multipart
        self.maximumUploadsInProgress = maximumUploadsInProgress
        verifier = credentials.map(SigV4Verifier.init)
    }

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        for method in Self.methods {
            for path in [Self.path, Self.path + "/**"] {
                router.on("\(path)", method: method, recordingIn: table) { request, context in
                    await handle(request, logger: context.logger, reads: context.fileReads)
                }
            }
        }
    }

    func handle(_ request: Request, logger: Logger, reads: StreamedFileReads) async -> Response {
        let resource = String(request.uri.path.dropFirst(Self.path.count))
        do {
            guard let verifier else {
                throw S3Error.accessDenied("the S3 protocol is off: set VOICEVAULT_S3_ACCESS_KEY_ID and VOICEVAULT_S3_SECRET_ACCESS_KEY")
            }
            let head = request.head
            let verified = try verifier.verify(
                SigV4Verifier.Request(
                    method: request.method.rawValue, rawPath: request.uri.path, rawQuery: request.uri.query ?? "",
                    headerNames: head.headerFields.map(\.name.canonicalName),
                    header: { name in
                        if name == "host" { return head.authority }
                        guard let field = HTTPField.Name(name) else { return nil }
                        let values = head.headerFields[values: field]
                        return values.isEmpty ? nil : values.joined(separator: ",")
                    }), now: Int64(Date().timeIntervalSince1970))
            guard let query = SigV4.queryParameters(request.uri.query ?? "") else {
                throw S3Error.invalidArgument("the query is not valid percent-encoding")
            }
            let operation = try S3Operation.parse(
                method: request.method.rawValue, path: Substring(resource), query: query,
                copySource: request.headers[.xAmzCopySource] != nil)
            if operation.bucket == VoiceAssetBucket.name, operation.writes {
                throw S3Error.accessDenied("the audio bucket holds the generated voice assets and is read-only through S3")
            }
            return try await perform(operation, request, verified: verified, query: query, reads: reads)
        } catch {
            return Self.errorResponse(error, resource: resource, head: request.method == .head, logger: logger)
        }
    }

    func perform(
        _ operation: S3Operation, _ request: Request, verified: SigV4Verifier.Verified,
        query: [(name: String, value: String)], reads: StreamedFileReads
    ) async throws -> Response {
        func parameter(_ name: String) -> String? { query.first { $0.name == name }?.value }
        switch operation {
        case .listBuckets: return try await listBuckets()
        case let .createBucket(bucket): return try await createBucket(bucket)
        case let .deleteBucket(bucket): return try await deleteBucket(bucket)
        case let .headBucket(bucket):
            guard try await storage.buckets.bucket(bucket) != nil else { throw S3Error.noSuchBucket }
            return Response(status: .ok)
        case let .getBucketLocation(bucket):
            guard try await storage.buckets.bucket(bucket) != nil else { throw S3Error.noSuchBucket }
            var xml = S3XMLWriter()
            xml.open("LocationConstraint", namespace: true)
            xml.close("LocationConstraint")
            return Self.xml(xml)
        case let .listObjects(bucket, version2): return try await listObjects(bucket, version2: version2, parameter: parameter)
        case let .listMultipartUploads(bucket): return try await listMultipartUploads(bucket)
        case let .deleteObjects(bucket): return try await deleteObjects(bucket, request, verified: verified)
        case let .getObject(bucket, key, head): return try await getObject(bucket: bucket, key: key, request, head: head, reads: reads)
        case let .putObject(bucket, key): return try await putObject(bucket: bucket, key: key, request, verified: verified)
        case let .copyObject(bucket, key): return try await copyObject(bucket: bucket, key: key, request)
        case let .deleteObject(bucket, key):
            let source = try await existingSource(bucket)
            _ = try await source.remove(keys: [key])
            return Response(status: .noContent)
        case let .createMultipartUpload(bucket, key): return try await createMultipartUpload(bucket: bucket, key: key, request)
        case let .uploadPart(bucket, key, uploadId, partNumber):
            return try await uploadPart(bucket: bucket, key: key, uploadId: uploadId, number: partNumber, request, verified: verified)
        case let .completeMultipartUpload(bucket, key, uploadId):
            return try await completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, request, verified: verified)
        case let .abortMultipartUpload(bucket, key, uploadId):
            return try await abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId)
        case let .listParts(bucket, key, uploadId):
            return try await listParts(bucket: bucket, key: key, uploadId: uploadId, parameter: parameter)
        }
    }

    /// The bucket's objects, once it is known to exist.
    func existingSource(_ bucket: String) async throws -> any StorageObjectSource {
        guard try await storage.buckets.bucket(bucket) != nil else { throw S3Error.noSuchBucket }
        return storage.source(bucket)
    }

    // MARK: Answers

    static func xml(_ writer: S3XMLWriter, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/xml"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: writer.text)))
    }

    /// `<Error><Code>...` as S3 clients parse it; a HEAD answer has no body, so only its status speaks.
    static func errorResponse(_ error: any Error, resource: String, head: Bool, logger: Logger) -> Response {
        let failure: S3Error
        switch error {
        case let error as S3Error: failure = error
        case let error as SupabaseError: failure = S3Error(Int(error.status.code), error.code, error.message)
        default:
            if let classified = ClassifiedError.classify(error) {
                let supabase = SupabaseError(classified.status, classified.supabaseError, classified.message, code: classified.storageCode)
                failure = S3Error(Int(classified.status.code), s3Code(supabase.code), classified.message)
            } else {
                logger.error("s3 request failed", metadata: ["error": "\(error)", "resource": "\(resource)"])
                failure = S3Error(500, "InternalError", "We encountered an internal error. Please try again.")
            }
        }
        let status = HTTPResponse.Status(code: failure.status)
        guard !head else { return Response(status: status) }
        var xml = S3XMLWriter()
        xml.element("Error") { xml in
            xml.element("Code", failure.code)
            xml.element("Message", failure.message)
            xml.element("Resource", resource)
            xml.element("RequestId", UUID().uuidString)
        }
        return Self.xml(xml, status: status)
    }

    /// S3's spelling where storage-js's differs.
    static func s3Code(_ storageCode: String) -> String {
        switch storageCode {
        case "ResourceNotEmpty": "BucketNotEmpty"
        case "BucketAlreadyExists": "BucketAlreadyOwnedByYou"
        case "InvalidMimeType": "InvalidArgument"
        default: storageCode
        }
    }

    static func entityTag(_ record: ObjectRecord) -> String { "\"\(record.sha256)\"" }
}

extension HTTPField.Name {
    static let xAmzCopySource = HTTPField.Name("x-amz-copy-source")!
    static let xAmzMetadataDirective = HTTPField.Name("x-amz-metadata-directive")!
}
