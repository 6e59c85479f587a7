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
                                  characterCost: result.characterCost, attempts: attempts, alignment: result.alignment)
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
        let alignment: SpeechAlignment?
    }

    /// The upstream endpoint every generation uses: streamed, so audio arrives as ElevenLabs speaks it, and
    /// with timestamps, so every asset keeps when each character is spoken at no extra character cost.
    static func endpoint(_ spec: SpeechSpec) -> String {
        let latency = spec.extensions.optimizeStreamingLatency
        return "/v1/text-to-speech/" + spec.voiceId + "/stream/with-timestamps?output_format=" + spec.outputFormat
            + (latency > 0 ? "&optimize_streaming_latency=\(latency)" : "")
    }

    /// One HTTP exchange; every failure comes out as an `UpstreamFailure`.
    func attempt(_ spec: SpeechSpec) async throws(UpstreamFailure) -> Attempt {
        var request = HTTPClientRequest(url: configuration.baseURL + Self.endpoint(spec))
        request.method = .POST
        request.headers.add(name: "xi-api-key", value: configuration.apiKey)
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "accept", value: "application/json")
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(TextToSpeechRequestBody(spec))))
        } catch {
            throw .rejected(status: 0, code: "encoding", message: "\(error)")
        }
        var audio = [UInt8]()
        var alignment: SpeechAlignment?
        var status = 0
        var headers = [String: String]()
        var errorBody = [UInt8]()
        let maximumAudioBytes = configuration.maximumAudioBytes
        do {
            let response = try await httpClient.execute(request, timeout: .init(configuration.attemptTimeout))
            status = Int(response.status.code)
            for name in ["retry-after", "retry-after-ms", "request-id", "character-cost"] {
                headers[name] = response.headers.first(name: name)
            }
            if (200..<300).contains(status) {
                // Base64 is 4/3 of the audio, and the alignment adds about 40 bytes per character.
                var decoder = TimestampedStreamDecoder(maximumLineBytes: maximumAudioBytes / 3 * 4 + (4 << 20))
                for try await buffer in response.body {
                    for chunk in try decoder.feed(buffer.readableBytesView) {
                        try Self.collect(chunk, audio: &audio, alignment: &alignment, limit: maximumAudioBytes)
                    }
                }
                if let last = try decoder.finish() {
                    try Self.collect(last, audio: &audio, alignment: &alignment, limit: maximumAudioBytes)
                }
            } else {
                errorBody = Array(buffer: try await response.body.collect(upTo: 1 << 20))
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw .timeout
        } catch let error as UpstreamFailure {
            throw error
        } catch let error as TimestampedStreamDecoder.Failure {
            throw .invalidAudio(error.description)
        } catch is NIOTooManyBytesError {
            throw .connection("error body larger than 1 MiB")
        } catch {
            throw .connection(String(describing: error))
        }
        guard (200..<300).contains(status) else {
            throw ErrorClassifier.classify(
                status: status, body: errorBody, retryAfter: headers["retry-after"],
                retryAfterMilliseconds: headers["retry-after-ms"], voiceId: spec.voiceId)
        }
        let mp3: InspectedMP3
        do { mp3 = try InspectedMP3(audio) } catch { throw .invalidAudio(error.description) }
        return Attempt(mp3: mp3, requestId: headers["request-id"],
                       characterCost: headers["character-cost"].flatMap(Int.init), alignment: alignment)
    }

    /// Adds one streamed chunk to what the attempt has so far. Times in one response already count from its
    /// start, so alignments join without an offset.
    static func collect(_ chunk: TimestampedStreamDecoder.Chunk, audio: inout [UInt8], alignment: inout SpeechAlignment?,
                        limit: Int) throws(UpstreamFailure) {
        guard audio.count + chunk.audio.count <= limit else {
            throw .invalidAudio("audio larger than \(limit) bytes")
        }
        audio.append(contentsOf: chunk.audio)
        if let part = chunk.alignment {
            alignment = alignment ?? SpeechAlignment()
            alignment?.append(part, offsetMilliseconds: 0)
        }
    }
}
