import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VaultCore

/// Legacy audio in a Supabase Storage bucket (`--from-storage URL --bucket B`), read through the Storage
/// REST API as any client does: `POST object/list/{bucket}` folder by folder for the inventory, then
/// `GET object/{bucket}/{path}` for each file a row names. VoiceVault serves the same API, which is how the
/// import is tested end to end.
///
/// Every answer is bounded: listings are paged, a download stops reading past the import's size limit, and
/// each request has a deadline.
struct StorageBucketSource: LegacyAudioSource {
    let client: HTTPClient
    /// `…/storage/v1`, without a trailing slash.
    let storageURL: String
    let bucket: String
    let key: String
    let requestTimeout: TimeAmount

    static let listPage = 1000
    static let maximumListBody = 16 << 20
    /// A bucket listing that goes on past this many entries is refused rather than followed forever.
    static let maximumEntries = 10_000_000

    /// Accepts the project URL (`https://x.supabase.co`) or the Storage URL itself (`…/storage/v1`).
    init(client: HTTPClient, url: String, bucket: String, key: String, requestTimeout: TimeAmount = .seconds(60)) {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        storageURL = base.hasSuffix("/storage/v1") ? base : base + "/storage/v1"
        self.client = client
        self.bucket = bucket
        self.key = key
        self.requestTimeout = requestTimeout
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private func request(_ path: String, method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: storageURL + path)
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer " + key)
        request.headers.add(name: "apikey", value: key)
        return request
    }

    /// A path in a URL: each segment percent-encoded except what Storage keys use unescaped.
    static func encoded(_ path: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~!$&'()*+,;=:@")
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? String($0) }.joined(separator: "/")
    }

    func fetch(_ path: LegacyStoragePath, limit: Int) async throws -> LegacyAudioFetch {
        let request = request("/object/" + Self.encoded(bucket) + "/" + Self.encoded(path.description), method: .GET)
        let response = try await client.execute(request, timeout: requestTimeout)
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? ""
            if Self.meansNotFound(status: Int(response.status.code), body: body) { return .missing }
            throw Failure(description: "GET \(path): HTTP \(response.status.code) \(body.prefix(200))")
        }
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit { return .tooLarge }
        do {
            let body = try await response.body.collect(upTo: limit)
            return .bytes(Array(buffer: body))
        } catch is NIOTooManyBytesError {
            return .tooLarge
        }
    }

    /// Storage answers a missing object with `statusCode: "404"` in a JSON body (upstream sends it as HTTP 400);
    /// any other refusal, a bad key above all, must stop the import rather than read as a missing file.
    static func meansNotFound(status: Int, body: String) -> Bool {
        guard status == 400 || status == 404 else { return false }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return status == 404 }
        return (object["statusCode"] as? String) == "404" || (object["statusCode"] as? Int) == 404
    }

    func inventory() async throws -> [String] {
        var found: [String] = []
        var folders = [""]
        while let prefix = folders.popLast() {
            var offset = 0
            while true {
                let page = try await list(prefix: prefix, offset: offset)
                guard found.count + folders.count + page.count <= Self.maximumEntries else {
                    throw Failure(description: "the bucket lists more than \(Self.maximumEntries) entries")
                }
                for entry in page {
                    guard let name = entry["name"] as? String, !name.isEmpty else { continue }
                    let path = prefix.isEmpty ? name : prefix + "/" + name
                    if entry["id"] is NSNull || entry["id"] == nil { folders.append(path) } else { found.append(path) }
                }
                if page.count < Self.listPage { break }
                offset += page.count
            }
        }
        return found.sorted()
    }

    private func list(prefix: String, offset: Int) async throws -> [[String: Any]] {
        var request = request("/object/list/" + Self.encoded(bucket), method: .POST)
        request.headers.add(name: "content-type", value: "application/json")
        let body: [String: Any] = [
            "prefix": prefix, "limit": Self.listPage, "offset": offset,
            "sortBy": ["column": "name", "order": "asc"],
        ]
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        let response = try await client.execute(request, timeout: requestTimeout)
        let answer = try await response.body.collect(upTo: Self.maximumListBody)
        guard response.status == .ok else {
            throw Failure(description: "list \(bucket)/\(prefix): HTTP \(response.status.code) \(String(buffer: answer).prefix(200))")
        }
        guard let entries = try JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [[String: Any]] else {
            throw Failure(description: "list \(bucket)/\(prefix): the answer is not a JSON array")
        }
        return entries
    }
}
