public import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOHTTP1
public import VaultCore

/// `BlobStore` on an S3-compatible store (SeaweedFS, MinIO, AWS), path-style, signed with the project's own
/// SigV4 (`SigV4Signer`; no AWS SDK). Each blob is the object `<prefix>/blobs/<sha256 hex>`.
///
/// A put sends `x-amz-checksum-sha256`, so a store that checks it (SeaweedFS and AWS do) refuses bytes damaged
/// on the way (`BadDigest`); it then asks the object's size back, so a store that ignores the checksum still
/// never holds a short blob unnoticed. Every request has a deadline; a store that does not answer is
/// `unavailable`, which the server answers as 503 without recording anything.
public struct S3BlobStore: BlobStore {
    public let location: S3Location
    let signer: SigV4Signer
    let client: HTTPClient
    /// How long one request to the store may take.
    public var timeout: TimeAmount
    /// The most a read may return, so a wrong or hostile store cannot grow memory without bound.
    public var maximumReadBytes: Int
    /// Keys asked for per page of a listing (S3's most is 1,000).
    public var listPageSize = 1_000

    public init(
        location: S3Location, accessKeyID: String, secretAccessKey: String, client: HTTPClient, timeout: TimeAmount = .seconds(30),
        maximumReadBytes: Int = 512 << 20
    ) {
        self.location = location
        self.signer = SigV4Signer(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, region: location.region)
        self.client = client
        self.timeout = timeout
        self.maximumReadBytes = maximumReadBytes
    }

    /// Creates the bucket unless it exists already (ours or not: a bucket we may not write to fails the
    /// first put, with the store's own code).
    public func ensureBucket() async throws(BlobStoreError) {
        let answer = try await send("PUT", key: nil)
        guard (200..<300).contains(answer.status) || answer.status == 409 else { throw Self.refusal(answer) }
    }

    public func put(_ bytes: [UInt8], sha256: SHA256Digest) async throws(BlobStoreError) {
        let checksum = Data(sha256.bytes).base64EncodedString()
        let answer = try await send(
            "PUT", key: location.key(sha256.hex), headers: [("x-amz-checksum-sha256", checksum)], body: bytes,
            payloadSHA256: sha256.hex)
        guard (200..<300).contains(answer.status) else { throw Self.refusal(answer) }
        guard let stored = try await size(of: sha256) else { throw .mismatch("blob \(sha256.hex) is not there after its put") }
        guard stored == bytes.count else {
            throw .mismatch("blob \(sha256.hex) holds \(stored) bytes after a put of \(bytes.count)")
        }
    }

    /// Streams the file as the request body (a chunk in memory at a time); signed with its known SHA-256.
    public func put(file path: String, size: Int, sha256: SHA256Digest) async throws(BlobStoreError) {
        let checksum = Data(sha256.bytes).base64EncodedString()
        let answer = try await send(
            "PUT", key: location.key(sha256.hex), headers: [("x-amz-checksum-sha256", checksum)],
            streaming: FileChunks(path: path, size: size), length: size, payloadSHA256: sha256.hex)
        guard (200..<300).contains(answer.status) else { throw Self.refusal(answer) }
        guard let stored = try await self.size(of: sha256) else { throw .mismatch("blob \(sha256.hex) is not there after its put") }
        guard stored == size else { throw .mismatch("blob \(sha256.hex) holds \(stored) bytes after a put of \(size)") }
    }

    public func read(_ blob: SHA256Digest, range: ClosedRange<Int>?) async throws(BlobStoreError) -> [UInt8]? {
        let headers = range.map { [("range", "bytes=\($0.lowerBound)-\($0.upperBound)")] } ?? []
        let answer = try await send("GET", key: location.key(blob.hex), headers: headers, collect: maximumReadBytes)
        if answer.status == 404 { return nil }
        guard answer.status == 200 || answer.status == 206 else { throw Self.refusal(answer) }
        return answer.body
    }

    public func size(of blob: SHA256Digest) async throws(BlobStoreError) -> Int? {
        let answer = try await send("HEAD", key: location.key(blob.hex))
        if answer.status == 404 { return nil }
        guard answer.status == 200 else { throw Self.refusal(answer) }
        guard let length = answer.headers.first(name: "content-length").flatMap({ Int($0) }) else {
            throw .mismatch("the store gave no size for blob \(blob.hex)")
        }
        return length
    }

    public func delete(_ blob: SHA256Digest) async throws(BlobStoreError) {
        let answer = try await send("DELETE", key: location.key(blob.hex))
        guard (200..<300).contains(answer.status) || answer.status == 404 else { throw Self.refusal(answer) }
    }

    /// Pages through ListObjectsV2 under the blobs' prefix; keys that are not a digest are not blobs of ours.
    public func list() async throws(BlobStoreError) -> [SHA256Digest] {
        var blobs: [SHA256Digest] = []
        var token: String?
        repeat {
            var query = [
                (name: "list-type", value: "2"), (name: "prefix", value: location.blobPrefix), (name: "max-keys", value: "\(listPageSize)"),
            ]
            if let token { query.append((name: "continuation-token", value: token)) }
            let answer = try await send("GET", key: nil, query: query, collect: 8 << 20)
            guard answer.status == 200 else { throw Self.refusal(answer) }
            let document: S3XMLElement
            do { document = try S3XMLReader.parse(answer.body) } catch { throw .mismatch("the store's listing is not XML: \(error)") }
            for entry in document.all("Contents") {
                guard let key = entry.child("Key")?.text, key.hasPrefix(location.blobPrefix),
                    let digest = SHA256Digest(hex: key.dropFirst(location.blobPrefix.count))
                else { continue }
                blobs.append(digest)
            }
            let truncated = document.child("IsTruncated")?.text == "true"
            token = truncated ? document.child("NextContinuationToken")?.text : nil
            if truncated, token == nil { throw .mismatch("the store's listing is truncated without a continuation token") }
        } while token != nil
        return blobs
    }

    // MARK: Requests

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// One signed request; `key` nil addresses the bucket itself. The body is collected up to `collect` bytes.
    func send(
        _ method: String, key: String?, query: [(name: String, value: String)] = [], headers extra: [(String, String)] = [],
        body: [UInt8]? = nil, streaming: FileChunks? = nil, length: Int = 0, payloadSHA256: String? = nil, collect: Int = 64 << 10
    ) async throws(BlobStoreError) -> Answer {
        var path = "/" + SigV4.uriEncode(location.bucket, keepSlash: false)
        if let key { path += "/" + SigV4.uriEncode(key, keepSlash: true) }
        let host = Self.hostField(location.endpoint)
        var fields = [(name: "host", value: host)] + extra.map { (name: $0.0, value: $0.1) }
        let payload = payloadSHA256 ?? body.map { SHA256Digest.of($0).hex } ?? SigV4.emptyPayloadHash
        fields += signer.sign(method: method, path: path, query: query, headers: fields, payloadSHA256: payload, now: Int64(time(nil)))
        let queryString = query.isEmpty ? "" : "?" + SigV4Signer.queryString(query)
        var request = HTTPClientRequest(url: Self.origin(location.endpoint) + path + queryString)
        request.method = HTTPMethod(rawValue: method)
        for field in fields where field.name != "host" { request.headers.add(name: field.name, value: field.value) }
        if let body { request.body = .bytes(body) }
        if let streaming { request.body = .stream(streaming, length: .known(Int64(length))) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = method == "HEAD" ? ByteBuffer() : try await response.body.collect(upTo: collect)
            let answer = Answer(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
            if answer.status >= 500 {
                let said = Self.said(answer)
                throw BlobStoreError.unavailable("\(method) answered \(answer.status) \(said.code) \(said.message)")
            }
            return answer
        } catch let error as BlobStoreError {
            throw error
        } catch {
            throw .unavailable("\(method) \(path): \(error)")
        }
    }

    static func origin(_ endpoint: URL) -> String {
        var origin = (endpoint.scheme ?? "http") + "://" + (endpoint.host ?? "")
        if let port = endpoint.port { origin += ":\(port)" }
        return origin
    }

    /// The `Host` field AsyncHTTPClient sends for the endpoint (the port only when it is not the scheme's).
    static func hostField(_ endpoint: URL) -> String {
        let host = endpoint.host ?? ""
        guard let port = endpoint.port else { return host }
        let usual = endpoint.scheme == "https" ? 443 : 80
        return port == usual ? host : "\(host):\(port)"
    }

    /// The code and message of the store's XML error body, empty when it sent none.
    static func said(_ answer: Answer) -> (code: String, message: String) {
        let document = try? S3XMLReader.parse(answer.body)
        return (document?.child("Code")?.text ?? "", document?.child("Message")?.text ?? "")
    }

    static func refusal(_ answer: Answer) -> BlobStoreError {
        let said = said(answer)
        return .refused(status: answer.status, code: said.code, message: said.message)
    }
}
