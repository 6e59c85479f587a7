import Foundation
import HTTPTypes
import Hummingbird
import VaultCore

/// Buckets and listings through S3: ListBuckets, CreateBucket, DeleteBucket, ListObjects (v1 and v2),
/// DeleteObjects.
extension S3Routes {
    static let owner = "voicevault"
    /// Most keys one listing page or one DeleteObjects names (S3's own limit).
    static let maximumKeys = 1000

    func listBuckets() async throws -> Response {
        var xml = S3XMLWriter()
        xml.open("ListAllMyBucketsResult", namespace: true)
        xml.element("Owner") { xml in
            xml.element("ID", Self.owner)
            xml.element("DisplayName", Self.owner)
        }
        xml.open("Buckets")
        for bucket in try await storage.buckets.allBuckets() {
            xml.element("Bucket") { xml in
                xml.element("Name", bucket.id)
                xml.element("CreationDate", StorageJSON.time(bucket.createdAt))
            }
        }
        xml.close("Buckets")
        xml.close("ListAllMyBucketsResult")
        return Self.xml(xml)
    }

    /// A new private bucket without limits of its own (S3 has no such settings; the REST surface sets them).
    func createBucket(_ bucket: String) async throws -> Response {
        if let problem = StorageName.newBucketProblem(bucket) {
            throw S3Error(400, "InvalidBucketName", "The specified bucket is not valid: \(problem)")
        }
        let now = Date().timeIntervalSince1970
        do {
            try await storage.buckets.createBucket(
                BucketRecord(
                    id: bucket, name: bucket, isPublic: false, fileSizeLimit: nil,
                    allowedMimeTypes: nil, createdAt: now, updatedAt: now))
        } catch StorageCatalogError.bucketExists {
            throw S3Error(
                409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
        }
        return Response(status: .ok, headers: [.location: "/" + bucket])
    }

    func deleteBucket(_ bucket: String) async throws -> Response {
        do { try await storage.buckets.deleteBucket(bucket) } catch StorageCatalogError.bucketNotFound {
            throw S3Error.noSuchBucket
        } catch StorageCatalogError.bucketNotEmpty {
            throw S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
        }
        return Response(status: .noContent)
    }

    /// ListObjectsV2 (`list-type=2`: `continuation-token`, `start-after`) and V1 (`marker`), with `prefix`,
    /// `delimiter` (`/` only), `max-keys` and `encoding-type=url`, one page from the index (`KeyPageBuilder`).
    func listObjects(_ bucket: String, version2: Bool, parameter: (String) -> String?) async throws -> Response {
        let source = try await existingSource(bucket)
        let prefix = parameter("prefix") ?? ""
        let delimiter = parameter("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        guard delimiter == nil || delimiter == "/" else { throw S3Error.invalidArgument("only the delimiter / is supported") }
        var maxKeys = Self.maximumKeys
        if let text = parameter("max-keys") {
            guard let value = Int(text), value >= 0 else { throw S3Error.invalidArgument("max-keys must be a non-negative integer") }
            maxKeys = min(value, Self.maximumKeys)
        }
        let encodeKeys = parameter("encoding-type") == "url"
        let continuation = parameter("continuation-token")
        var after: String?
        if version2 {
            if let token = continuation, !token.isEmpty {
                guard token.utf8.count <= 2048, let bytes = SignedURLToken.decodeBase64URL(token[...]),
                    let key = String(validating: bytes, as: UTF8.self)
                else {
                    throw S3Error.invalidArgument("The continuation token provided is incorrect")
                }
                after = key
            } else {
                after = parameter("start-after").flatMap { $0.isEmpty ? nil : $0 }
            }
        } else {
            after = parameter("marker").flatMap { $0.isEmpty ? nil : $0 }
        }
        let request = KeyPageRequest(prefix: prefix, delimited: delimiter != nil, after: after, limit: max(maxKeys, 1))
        let page = maxKeys == 0 ? KeyPage() : try await source.keyPage(request)
        func shown(_ key: String) -> String { encodeKeys ? SigV4.uriEncode(key, keepSlash: true) : key }

        var xml = S3XMLWriter()
        xml.open("ListBucketResult", namespace: true)
        xml.element("Name", bucket)
        xml.element("Prefix", shown(prefix))
        if let delimiter { xml.element("Delimiter", delimiter) }
        xml.element("MaxKeys", String(maxKeys))
        if encodeKeys { xml.element("EncodingType", "url") }
        xml.element("IsTruncated", page.isTruncated ? "true" : "false")
        if version2 {
            xml.element("KeyCount", String(page.entries.count))
            if let continuation { xml.element("ContinuationToken", continuation) }
            if let start = parameter("start-after") { xml.element("StartAfter", shown(start)) }
            if page.isTruncated, let last = page.entries.last {
                xml.element("NextContinuationToken", SignedURLToken.base64URL(Array(last.key.utf8)))
            }
        } else {
            xml.element("Marker", shown(parameter("marker") ?? ""))
            if page.isTruncated, let last = page.entries.last { xml.element("NextMarker", shown(last.key)) }
        }
        for entry in page.entries {
            switch entry {
            case let .object(record):
                xml.element("Contents") { xml in
                    xml.element("Key", shown(record.key))
                    xml.element("LastModified", StorageJSON.time(record.updatedAt))
                    xml.element("ETag", Self.entityTag(record))
                    xml.element("Size", String(record.size))
                    xml.element("StorageClass", "STANDARD")
                }
            case let .folder(path):
                xml.element("CommonPrefixes") { xml in xml.element("Prefix", shown(path)) }
            }
        }
        xml.close("ListBucketResult")
        return Self.xml(xml)
    }

    /// `POST /{bucket}?delete`: up to 1,000 keys; each is reported deleted (S3 does so for missing keys too)
    /// unless `<Quiet>true</Quiet>`, which reports only failures.
    func deleteObjects(_ bucket: String, _ request: Request, verified: SigV4Verifier.Verified) async throws -> Response {
        let source = try await existingSource(bucket)
        let document = try await Self.xmlBody(request, verified: verified)
        guard document.name == "Delete" else { throw S3Error.malformedXML("the body must be a <Delete> document") }
        let quiet = document.child("Quiet")?.text.lowercased() == "true"
        let keys = document.all("Object").compactMap { $0.child("Key")?.text }
        guard !keys.isEmpty, keys.count <= Self.maximumKeys else {
            throw S3Error.malformedXML("<Delete> must name 1 to \(Self.maximumKeys) objects")
        }
        let valid = keys.filter { StorageName.keyProblem($0) == nil }
        _ = try await source.remove(keys: valid)
        var xml = S3XMLWriter()
        xml.open("DeleteResult", namespace: true)
        for key in keys {
            if let problem = StorageName.keyProblem(key) {
                xml.element("Error") { xml in
                    xml.element("Key", key)
                    xml.element("Code", "InvalidArgument")
                    xml.element("Message", "Invalid key: \(problem)")
                }
            } else if !quiet {
                xml.element("Deleted") { xml in xml.element("Key", key) }
            }
        }
        xml.close("DeleteResult")
        return Self.xml(xml)
    }

    /// A request's XML body, bounded, and held to the payload hash the signature covers.
    static func xmlBody(_ request: Request, verified: SigV4Verifier.Verified) async throws -> S3XMLElement {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: S3XMLReader.maximumBytes) } catch {
            throw S3Error.malformedXML("the XML body is larger than \(S3XMLReader.maximumBytes) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        try verified.checkBody(sha256: SHA256Digest.of(bytes))
        return try S3XMLReader.parse(bytes)
    }
}
