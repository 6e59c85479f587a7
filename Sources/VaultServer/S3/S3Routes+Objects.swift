import Foundation
import HTTPTypes
import Hummingbird
import VaultCore

/// Objects through S3: GetObject and HeadObject (ranges and conditionals through the one download planner),
/// PutObject, CopyObject.
extension S3Routes {
    /// Most bytes of `x-amz-meta-*` one object carries (S3's limit).
    static let maximumUserMetadataBytes = 2048

    func getObject(bucket: String, key: String, _ request: Request, head: Bool, reads: StreamedFileReads) async throws -> Response {
        let source = try await existingSource(bucket)
        guard var record = try await source.object(key: key) else { throw S3Error.noSuchKey }
        while true {
            do {
                guard try await source.prepare(record) else { throw DownloadResponder.Missing.noFile }
                var response = try serveOnce(record, from: source, request, head: head, reads: reads)
                for (name, value) in Self.amzMetadata(record.userMetadata) {
                    if let field = HTTPField.Name("x-amz-meta-" + name) { response.headers[field] = value }
                }
                return response
            } catch DownloadResponder.Missing.noFile {
                // Replaced between reading the record and opening its file: serve the new version.
                guard let current = try await source.object(key: key), current.version != record.version else { throw S3Error.noSuchKey }
                record = current
            } catch DownloadResponder.Missing.wrongLength {
                throw S3Error(500, "InternalError", "the stored object does not match its record; the operator should run voicevault fsck")
            }
        }
    }

    private func serveOnce(
        _ record: ObjectRecord, from source: any StorageObjectSource, _ request: Request, head: Bool,
        reads: StreamedFileReads
    ) throws -> Response {
        // As the REST surface describes it (a type a browser would run is an attachment); S3 has no `?download`.
        let representation = StorageRoutes.representation(of: record, requestedName: nil)
        let resource = "/\(record.bucket)/\(record.key)"
        return try storage.responder.respond(
            request, method: head ? .head : .get, representation: representation, reads: reads,
            bytes: { try source.bytes(of: record) }
        ) { status, code, message in
            let s3 =
                switch code {
                case "range_not_satisfiable": S3Error(416, "InvalidRange", "The requested range is not satisfiable")
                case "precondition_failed":
                    S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
                default: S3Error(Int(status.code), "InvalidRequest", message)
                }
            var response = Self.errorResponse(s3, resource: resource, head: head, logger: .init(label: "voicevault.s3"))
            response.status = status
            return response
        }
    }

    func putObject(bucket: String, key: String, _ request: Request, verified: SigV4Verifier.Verified) async throws -> Response {
        let source = try await existingSource(bucket)
        let mimeType = request.headers[.contentType].flatMap { $0.isEmpty ? nil : $0 } ?? "binary/octet-stream"
        let limit = try await uploadLimit(bucket: bucket)
        try ObjectAdmission.checkMimeType(mimeType, key: key, in: limit.policy)
        let userMetadata = try Self.userMetadata(request.headers)
        let received = try await S3BodyReceiver(directory: storage.staging).receive(request, verified: verified, limit: limit.bytes)
        defer { received.file.discard() }
        let record = try await source.put(
            StagedUpload(
                staged: received.staged, mimeType: mimeType, cacheControl: request.headers[.cacheControl] ?? "no-cache",
                userMetadata: userMetadata),
            key: key, upsert: true)
        return Response(status: .ok, headers: [.eTag: Self.entityTag(record)])
    }

    /// `x-amz-copy-source: [/]bucket/key` (percent-encoded). The copy is a hard link to the source's immutable
    /// bytes (no bytes copied), replacing the destination; `x-amz-metadata-directive: REPLACE` takes type,
    /// cache control and metadata from this request instead of the source.
    func copyObject(bucket: String, key: String, _ request: Request) async throws -> Response {
        _ = try await existingSource(bucket)
        guard let header = request.headers[.xAmzCopySource] else { throw S3Error.invalidArgument("x-amz-copy-source is required") }
        var raw = Substring(header)
        if let question = raw.firstIndex(of: "?") { raw = raw[..<question] }  // a versionId: there is one version
        while raw.first == "/" { raw = raw.dropFirst() }
        guard let decoded = SigV4.percentDecode(raw), let slash = decoded.firstIndex(of: "/") else {
            throw S3Error.invalidArgument("x-amz-copy-source must be bucket/key")
        }
        let sourceBucket = String(decoded[..<slash])
        let sourceKey = String(decoded[decoded.index(after: slash)...])
        guard StorageName.bucketProblem(sourceBucket) == nil, StorageName.keyProblem(sourceKey) == nil else {
            throw S3Error.invalidArgument("x-amz-copy-source names an invalid bucket or key")
        }
        let from = try await existingSource(sourceBucket)
        let replace = request.headers[.xAmzMetadataDirective]?.uppercased() == "REPLACE"
        let replacement =
            replace
            ? (
                mimeType: request.headers[.contentType] ?? "binary/octet-stream",
                cacheControl: request.headers[.cacheControl] ?? "no-cache",
                metadata: try Self.userMetadata(request.headers)
            ) : nil
        guard var original = try await from.object(key: sourceKey) else { throw S3Error.noSuchKey }
        if let replacement {
            original.mimeType = replacement.mimeType
            original.cacheControl = replacement.cacheControl
            original.userMetadata = replacement.metadata
        }
        let record: ObjectRecord
        do {
            record = try await storage.source(bucket).adopt(original, from: from, key: key, upsert: true)
        } catch let error as SupabaseError where error == .objectNotFound {
            throw S3Error.noSuchKey  // replaced or removed while this request ran
        }
        var xml = S3XMLWriter()
        xml.open("CopyObjectResult", namespace: true)
        xml.element("LastModified", StorageJSON.time(record.updatedAt))
        xml.element("ETag", Self.entityTag(record))
        xml.close("CopyObjectResult")
        return Self.xml(xml)
    }

    /// The bucket's settings and the most bytes an object of it may have.
    func uploadLimit(bucket: String) async throws -> (policy: BucketRecord, bytes: Int) {
        guard let policy = try await storage.buckets.bucket(bucket) else { throw S3Error.noSuchBucket }
        return (policy, ObjectAdmission.uploadLimit(policy, globalLimit: storage.maximumUploadBytes))
    }

    /// `x-amz-meta-*` headers as the object's user metadata (a JSON object of strings, names lower-cased and
    /// without the prefix), which the REST surface shows as `metadata`. Nil when there are none.
    static func userMetadata(_ headers: HTTPFields) throws -> String? {
        var values: [String: String] = [:]
        var bytes = 0
        for field in headers where field.name.canonicalName.hasPrefix("x-amz-meta-") {
            let name = String(field.name.canonicalName.dropFirst("x-amz-meta-".count))
            bytes += name.utf8.count + field.value.utf8.count
            guard bytes <= maximumUserMetadataBytes else {
                throw S3Error(
                    400, "MetadataTooLarge",
                    "Your metadata headers exceed the maximum allowed metadata size of \(maximumUserMetadataBytes) bytes")
            }
            values[name] = field.value
        }
        guard !values.isEmpty else { return nil }
        let data = try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The string values of an object's user metadata, to send back as `x-amz-meta-*` (header-safe ones only).
    static func amzMetadata(_ userMetadata: String?) -> [(String, String)] {
        guard let text = userMetadata, let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return []
        }
        return object.compactMap { name, value in
            guard let value = value as? String, !name.isEmpty, name.utf8.allSatisfy(FieldBytes.isTokenCharacter),
                value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F })
            else { return nil }
            return (name.lowercased(), value)
        }.sorted { $0.0 < $1.0 }
    }
}
