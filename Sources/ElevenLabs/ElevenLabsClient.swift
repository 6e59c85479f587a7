public import AsyncHTTPClient
import Foundation
public import Logging
import Metrics
import NIOCore
public import VaultCore

/// The ElevenLabs text-to-speech client: the real request shape, a fair concurrency limit, retries by
/// `RetryPolicy`, and a body verified as a complete MP3 before anyone can store it.
public final class ElevenLabsClient: SpeechSynthesizer {
    public let configuration: ElevenLabsConfiguration
    public let limiter: ConcurrencyLimiter
    private let httpClient: HTTPClient
    private let logger: Logger

    public init(configuration: ElevenLabsConfiguration, httpClient: HTTPClient = .shared,
                logger: Logger = Logger(label: "voicevault.elevenlabs")) {
        self.configuration = configuration
        self.limiter = ConcurrencyLimiter(limit: configuration.maximumConcurrency)
        self.httpClient = httpClient
        self.logger = logger
    }

    public func synthesize(_ spec: SpeechSpec) async throws -> Generation {
        var failures = 0
        var concurrencyWaits = 0
        var attempts = 0
        while true {
            attempts += 1
            let failure: UpstreamFailure
            do {
                let result = try await limiter.withPermit { try await self.attempt(spec) }
                return Generation(mp3: result.mp3, requestId: result.requestId,
                                  characterCost: result.characterCost, attempts: attempts)
            } catch let error as UpstreamFailure {
                failure = error
            }
            if RetryPolicy.countsAsFailure(failure) { failures += 1 } else { concurrencyWaits += 1 }
            let decision = configuration.retryPolicy.decide(
                after: failure, failures: failures, concurrencyWaits: concurrencyWaits,
                unitRandom: Double.random(in: 0..<1))
            switch decision {
            case .fail:
                logger.warning("upstream failed", metadata: ["voice": "\(spec.voiceId)", "attempts": "\(attempts)", "error": "\(failure)"])
                throw failure
            case let .retry(seconds):
                Counter(label: "voicevault_upstream_retries_total", dimensions: [("reason", failure.reason)]).increment()
                logger.notice("upstream retry", metadata: ["voice": "\(spec.voiceId)", "attempt": "\(attempts)",
                                                           "inSeconds": "\(seconds)", "error": "\(failure)"])
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            }
        }
    }

    struct Attempt: Sendable {
        let mp3: InspectedMP3
        let requestId: String?
        let characterCost: Int?
    }

    /// One HTTP exchange; every failure comes out as an `UpstreamFailure`.
    func attempt(_ spec: SpeechSpec) async throws(UpstreamFailure) -> Attempt {
        let url = configuration.baseURL + "/v1/text-to-speech/" + spec.voiceId + "?output_format=" + spec.outputFormat
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "xi-api-key", value: configuration.apiKey)
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "accept", value: "audio/mpeg")
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(TextToSpeechRequestBody(spec))))
        } catch {
            throw .rejected(status: 0, code: "encoding", message: "\(error)")
        }
        let body: ByteBuffer
        let status: Int
        var headers = [String: String]()
        do {
            let response = try await httpClient.execute(request, timeout: .init(configuration.attemptTimeout))
            status = Int(response.status.code)
            for name in ["retry-after", "retry-after-ms", "content-length", "request-id", "character-cost"] {
                headers[name] = response.headers.first(name: name)
            }
            body = try await response.body.collect(upTo: configuration.maximumAudioBytes)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw .timeout
        } catch let error as NIOTooManyBytesError {
            throw .invalidAudio("body larger than \(configuration.maximumAudioBytes) bytes: \(error)")
        } catch {
            throw .connection(String(describing: error))
        }
        let bytes = Array(buffer: body)
        guard (200..<300).contains(status) else {
            throw ErrorClassifier.classify(
                status: status, body: bytes, retryAfter: headers["retry-after"],
                retryAfterMilliseconds: headers["retry-after-ms"], voiceId: spec.voiceId)
        }
        if let announced = headers["content-length"].flatMap(Int.init), announced != bytes.count {
            throw .invalidAudio("body has \(bytes.count) bytes, content-length said \(announced)")
        }
        let mp3: InspectedMP3
        do { mp3 = try InspectedMP3(bytes) } catch { throw .invalidAudio(error.description) }
        return Attempt(mp3: mp3, requestId: headers["request-id"],
                       characterCost: headers["character-cost"].flatMap(Int.init))
    }
}
