import Foundation
import HTTPTypes
import Hummingbird
import VaultCore

/// Multipart uploads through S3 (`MultipartUploads`: the data directory's, or the cluster's): create, upload part, list parts, complete, abort,
/// and list the uploads in progress. A part's ETag is its SHA-256; completion names parts by number and ETag.
extension S3Routes {
    static let maximumListedParts = 1000

    func createMultipartUpload(bucket: String, key: String, _ request: Request) async throws -> Response {
        _ = try await existingSource(bucket)
        let mimeType = request.headers[.contentType].flatMap { $0.isEmpty ? nil : $0 } ?? "binary/octet-stream"
        try ObjectAdmission.checkMimeType(mimeType, key: key, in: try await uploadLimit(bucket: bucket).policy)
        let now = Date().timeIntervalSince1970
        let upload = MultipartUpload(
            id: ResumableUploadStore.newId(), bucket: bucket, key: key, mimeType: mimeType,
            cacheControl: request.headers[.cacheControl] ?? "no-cache", userMetadata: try Self.userMetadata(request.headers), createdAt: now
        )
        let multipart = multipart
        let maximum = maximumUploadsInProgress
        let sweepDue = lastSweep.due(now: now, every: 3600)
        if sweepDue { try await multipart.sweep(now: now) }
        do { try await multipart.create(upload, maximumInProgress: maximum) } catch ResumableUploadError.tooManyUploads {
            throw S3Error(503, "SlowDown", "\(maximum) multipart uploads are in progress; complete or abort some first")
        }
        var xml = S3XMLWriter()
        xml.open("InitiateMultipartUploadResult", namespace: true)
        xml.element("Bucket", bucket)
        xml.element("Key", key)
        xml.element("UploadId", upload.id)
        xml.close("InitiateMultipartUploadResult")
        return Self.xml(xml)
    }

    /// The upload `id`, which must be for `bucket/key`.
    func upload(_ id: String, bucket: String, key: String) async throws -> MultipartUpload {
        guard ResumableUpload.isValidId(id), let upload = try await multipart.upload(id),
            upload.bucket == bucket, upload.key == key, upload.completion == nil
        else { throw S3Error.noSuchUpload }
        return upload
    }

    func uploadPart(
        bucket: String, key: String, uploadId: String, number: Int, _ request: Request,
        verified: SigV4Verifier.Verified
    ) async throws -> Response {
        _ = try await upload(uploadId, bucket: bucket, key: key)
        let limit = try await uploadLimit(bucket: bucket).bytes
        let received = try await S3BodyReceiver(directory: storage.staging).receive(request, verified: verified, limit: limit)
        defer { received.file.discard() }
        let sha = try await multipart.putPart(received.staged, number: number, of: uploadId)
        return Response(status: .ok, headers: [.eTag: "\"\(sha)\""])
    }

    func listParts(bucket: String, key: String, uploadId: String, parameter: (String) -> String?) async throws -> Response {
        _ = try await upload(uploadId, bucket: bucket, key: key)
        let marker = parameter("part-number-marker").flatMap(Int.init) ?? 0
        let maxParts = min(parameter("max-parts").flatMap(Int.init) ?? Self.maximumListedParts, Self.maximumListedParts)
        let parts = try await multipart.parts(of: uploadId).filter { $0.number > marker }
        let page = parts.prefix(max(maxParts, 0))
        var xml = S3XMLWriter()
        xml.open("ListPartsResult", namespace: true)
        xml.element("Bucket", bucket)
        xml.element("Key", key)
        xml.element("UploadId", uploadId)
        xml.element("PartNumberMarker", String(marker))
        if let last = page.last { xml.element("NextPartNumberMarker", String(last.number)) }
        xml.element("MaxParts", String(maxParts))
        xml.element("IsTruncated", parts.count > page.count ? "true" : "false")
        xml.element("StorageClass", "STANDARD")
        for part in page {
            xml.element("Part") { xml in
                xml.element("PartNumber", String(part.number))
                xml.element("LastModified", StorageJSON.time(part.modifiedAt))
                xml.element("ETag", "\"\(part.sha256)\"")
                xml.element("Size", String(part.size))
            }
        }
        xml.close("ListPartsResult")
        return Self.xml(xml)
    }

    func completeMultipartUpload(
        bucket: String, key: String, uploadId: String, _ request: Request,
        verified: SigV4Verifier.Verified
    ) async throws -> Response {
        _ = try await upload(uploadId, bucket: bucket, key: key)
        let document = try await Self.xmlBody(request, verified: verified)
        guard document.name == "CompleteMultipartUpload" else {
            throw S3Error.malformedXML("the body must be a <CompleteMultipartUpload> document")
        }
        var parts: [(number: Int, sha256: String)] = []
        for part in document.all("Part") {
            guard let number = part.child("PartNumber").flatMap({ Int($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }),
                let etag = part.child("ETag")?.text.trimmingCharacters(in: .whitespacesAndNewlines)
            else { throw S3Error.malformedXML("each <Part> needs <PartNumber> and <ETag>") }
            parts.append((number, etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()))
        }
        guard parts.count <= MultipartUploadStore.maximumParts else {
            throw S3Error.malformedXML("more than \(MultipartUploadStore.maximumParts) parts")
        }
        guard multipart.claim(uploadId) else {
            throw S3Error(409, "OperationAborted", "another request is completing or aborting this upload")
        }
        defer { multipart.release(uploadId) }
        let record = try await multipart.complete(uploadId, parts: parts, globalLimit: storage.maximumUploadBytes)
        var xml = S3XMLWriter()
        xml.open("CompleteMultipartUploadResult", namespace: true)
        xml.element("Location", "\(Self.path)/\(bucket)/\(key)")
        xml.element("Bucket", bucket)
        xml.element("Key", key)
        xml.element("ETag", Self.entityTag(record))
        xml.close("CompleteMultipartUploadResult")
        return Self.xml(xml)
    }

    func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws -> Response {
        _ = try await upload(uploadId, bucket: bucket, key: key)
        guard multipart.claim(uploadId) else {
            throw S3Error(409, "OperationAborted", "another request is completing or aborting this upload")
        }
        defer { multipart.release(uploadId) }
        try await multipart.remove(uploadId)
        return Response(status: .noContent)
    }

    func listMultipartUploads(_ bucket: String) async throws -> Response {
        _ = try await existingSource(bucket)
        let uploads = try await multipart.uploads(inBucket: bucket)
            .sorted { ($0.key, $0.createdAt) < ($1.key, $1.createdAt) }
            .prefix(Self.maximumKeys)
        var xml = S3XMLWriter()
        xml.open("ListMultipartUploadsResult", namespace: true)
        xml.element("Bucket", bucket)
        xml.element("MaxUploads", String(Self.maximumKeys))
        xml.element("IsTruncated", "false")
        for upload in uploads {
            xml.element("Upload") { xml in
                xml.element("Key", upload.key)
                xml.element("UploadId", upload.id)
                xml.element("StorageClass", "STANDARD")
                xml.element("Initiated", StorageJSON.time(upload.createdAt))
            }
        }
        xml.close("ListMultipartUploadsResult")
        return Self.xml(xml)
    }
}
