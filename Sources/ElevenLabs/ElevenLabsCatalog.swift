public import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
public import VaultCore

/// `GET /v1/models` and `GET /v1/voices` from ElevenLabs with this server's key, each answer kept for
/// `timeToLive`: SDK code lists them at start-up and on every page view, and they change rarely, so a
/// client cannot turn its requests into a stream of upstream calls.
public final class ElevenLabsCatalog: VoiceCatalog {
    let configuration: ElevenLabsConfiguration
    let httpClient: HTTPClient
    let timeToLive: Duration
    private let cache = Mutex<[String: (body: [UInt8], fetched: ContinuousClock.Instant)]>([:])

    public init(configuration: ElevenLabsConfiguration, httpClient: HTTPClient = .shared, timeToLive: Duration = .seconds(300)) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.timeToLive = timeToLive
    }

    public func models() async throws -> [UInt8] { try await get("/v1/models") }
    public func voices() async throws -> [UInt8] { try await get("/v1/voices") }

    func get(_ path: String) async throws -> [UInt8] {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[path] }), now - cached.fetched < timeToLive { return cached.body }
        var request = HTTPClientRequest(url: configuration.baseURL + path)
        request.headers.add(name: "xi-api-key", value: configuration.apiKey)
        request.headers.add(name: "accept", value: "application/json")
        let status: Int
        let body: [UInt8]
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(30))
            status = Int(response.status.code)
            body = Array(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw UpstreamFailure.timeout
        } catch {
            throw UpstreamFailure.connection(String(describing: error))
        }
        guard (200..<300).contains(status) else {
            throw ErrorClassifier.classify(status: status, body: body, retryAfter: nil, retryAfterMilliseconds: nil, voiceId: nil)
        }
        cache.withLock { $0[path] = (body, now) }
        return body
    }
}
