public import AsyncHTTPClient
import Foundation
public import Logging
import Metrics
import NIOCore
import Synchronization
public import VaultCore

/// The ElevenLabs text-to-speech client: the real request shape, a fair concurrency limit, retries by
/// `RetryPolicy`, and a body verified as a complete MP3 before anyone can store it.
public final class ElevenLabsClient: SpeechSynthesizer {
    public let configuration: ElevenLabsConfiguration
    public let limiter: ConcurrencyLimiter
    private let httpClient: HTTPClient
    private let logger: Logger

    public init(
        configuration: ElevenLabsConfiguration, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "voicevault.elevenlabs")
    ) {
        self.configuration = configuration
        self.limiter = ConcurrencyLimiter(limit: configuration.maximumConcurrency)
        self.httpClient = httpClient
        self.logger = logger
    }

    /// The whole audio, verified: pieces collected, then inspected. Unusable audio is retried like any other
    /// transient failure, since nobody heard it.
    public func synthesize(_ spec: SpeechSpec) async throws -> Generation {
        let collected = PieceCollector()
        let receipt = try await run(
            spec,
            restart: {
                collected.reset()
                return true
            }
        ) { piece in
            collected.add(piece)
        }
        let mp3: InspectedMP3
        do { mp3 = try InspectedMP3(collected.audio) } catch { throw UpstreamFailure.invalidAudio(error.description) }
        return Generation(
            mp3: mp3, requestId: receipt.requestId, characterCost: receipt.characterCost,
            attempts: receipt.attempts, alignment: collected.alignment)
    }

    public func stream(
        _ spec: SpeechSpec, restart: @escaping @Sendable () async -> Bool,
        deliver: @escaping @Sendable (SynthesisPiece) async throws -> Void
    ) async throws -> SynthesisReceipt {
        try await run(spec, restart: restart, deliver: deliver)
    }

    /// Attempts with retries by `RetryPolicy`. After a piece went out, a retry also needs `restart` to agree:
    /// pieces already with listeners cannot be taken back, and another attempt would speak differently.
    func run(
        _ spec: SpeechSpec, restart: @Sendable () async -> Bool,
        deliver: @escaping @Sendable (SynthesisPiece) async throws -> Void
    ) async throws -> SynthesisReceipt {
        var failures = 0
        var concurrencyWaits = 0
        var attempts = 0
        let delivered = Delivered()
        while true {
            attempts += 1
            let failure: UpstreamFailure
            do {
                let result = try await limiter.withPermit {
                    try await self.attempt(spec) { piece in
                        delivered.mark()
                        try await deliver(piece)
                    }
                }
                return SynthesisReceipt(
                    requestId: result.requestId, characterCost: result.characterCost, attempts: attempts,
                    historyItemId: result.historyItemId)
            } catch let error as UpstreamFailure {
                failure = error
            }
            if RetryPolicy.countsAsFailure(failure) { failures += 1 } else { concurrencyWaits += 1 }
            var decision = configuration.retryPolicy.decide(
                after: failure, failures: failures, concurrencyWaits: concurrencyWaits,
                unitRandom: Double.random(in: 0..<1))
            if case .retry = decision, delivered.value {
                if await restart() { delivered.reset() } else { decision = .fail }
            }
            switch decision {
            case .fail:
                logger.warning("upstream failed", metadata: ["voice": "\(spec.voiceId)", "attempts": "\(attempts)", "error": "\(failure)"])
                throw failure
            case let .retry(seconds):
                Counter(label: "voicevault_upstream_retries_total", dimensions: [("reason", failure.reason)]).increment()
                logger.notice(
                    "upstream retry",
                    metadata: [
                        "voice": "\(spec.voiceId)", "attempt": "\(attempts)",
                        "inSeconds": "\(seconds)", "error": "\(failure)",
                    ])
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            }
        }
    }

    struct Attempt: Sendable {
        let requestId: String?
        let historyItemId: String?
        let characterCost: Int?
    }

    /// The upstream endpoint every generation uses: streamed, so audio arrives as ElevenLabs speaks it, and
    /// with timestamps, so every asset keeps when each character is spoken at no extra character cost. WAV is
    /// not offered on the streamed routes: it comes whole, from the same route without `/stream` (one object,
    /// which the stream decoder reads as a last line).
    static func endpoint(_ spec: SpeechSpec) -> String {
        let streamed = AudioFormat(outputFormat: spec.outputFormat)?.isStreamedUpstream ?? true
        let shape = (streamed ? "/stream" : "") + "/with-timestamps?output_format=" + spec.outputFormat
        if spec.dialogue != nil { return "/v1/text-to-dialogue" + shape }
        let latency = spec.extensions.optimizeStreamingLatency
        return "/v1/text-to-speech/" + spec.voiceId + shape + (latency > 0 ? "&optimize_streaming_latency=\(latency)" : "")
    }

    /// One HTTP exchange, each decoded chunk handed to `onPiece` as it arrives; every failure of the exchange
    /// comes out as an `UpstreamFailure` (an error thrown by `onPiece` passes through as it is).
    func attempt(_ spec: SpeechSpec, onPiece: @Sendable (SynthesisPiece) async throws -> Void) async throws -> Attempt {
        var request = HTTPClientRequest(url: configuration.baseURL + Self.endpoint(spec))
        request.method = .POST
        request.headers.add(name: "xi-api-key", value: configuration.apiKey)
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "accept", value: "application/json")
        do {
            let body =
                if let script = spec.dialogue {
                    try JSONEncoder().encode(TextToDialogueRequestBody(spec, script: script))
                } else {
                    try JSONEncoder().encode(TextToSpeechRequestBody(spec))
                }
            request.body = .bytes(ByteBuffer(bytes: body))
        } catch {
            throw UpstreamFailure.rejected(status: 0, code: "encoding", message: "\(error)")
        }
        var status = 0
        var headers = [String: String]()
        var errorBody = [UInt8]()
        var audioBytes = 0
        // MP3 is checked here too (one header parse per frame), so that unusable audio is an upstream failure that
        // the retry policy sees, not only a verdict at publication. The other formats are checked whole when the
        // staged file is sealed (`AudioInspection`): their containers cannot be judged piece by piece as cheaply.
        let checksFrames = spec.outputFormat.hasPrefix("mp3_")
        var inspector = IncrementalMP3Inspector()
        let maximumAudioBytes = configuration.maximumAudioBytes
        func hand(_ chunk: TimestampedStreamDecoder.Chunk) async throws {
            audioBytes += chunk.audio.count
            if checksFrames { _ = inspector.feed(chunk.audio) }
            guard audioBytes <= maximumAudioBytes else {
                throw UpstreamFailure.invalidAudio("audio larger than \(maximumAudioBytes) bytes")
            }
            do { try await onPiece(SynthesisPiece(audio: chunk.audio, alignment: chunk.alignment)) } catch {
                throw DeliveryFailed(underlying: error)
            }
        }
        do {
            let response = try await httpClient.execute(request, timeout: .init(configuration.attemptTimeout))
            status = Int(response.status.code)
            for name in ["retry-after", "retry-after-ms", "request-id", "history-item-id", "character-cost"] {
                headers[name] = response.headers.first(name: name)
            }
            if (200..<300).contains(status) {
                // Base64 is 4/3 of the audio, and the alignment adds about 40 bytes per character.
                var decoder = TimestampedStreamDecoder(maximumLineBytes: maximumAudioBytes / 3 * 4 + (4 << 20))
                for try await buffer in response.body {
                    for chunk in try decoder.feed(buffer.readableBytesView) { try await hand(chunk) }
                }
                if let last = try decoder.finish() { try await hand(last) }
                if checksFrames {
                    do { _ = try inspector.finish() } catch { throw UpstreamFailure.invalidAudio(error.description) }
                }
            } else {
                errorBody = Array(buffer: try await response.body.collect(upTo: 1 << 20))
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw UpstreamFailure.timeout
        } catch let error as UpstreamFailure {
            throw error
        } catch let error as TimestampedStreamDecoder.Failure {
            throw UpstreamFailure.invalidAudio(error.description)
        } catch is NIOTooManyBytesError {
            throw UpstreamFailure.connection("error body larger than 1 MiB")
        } catch let error as DeliveryFailed {
            throw error.underlying
        } catch {
            throw UpstreamFailure.connection(String(describing: error))
        }
        guard (200..<300).contains(status) else {
            throw ErrorClassifier.classify(
                status: status, body: errorBody, retryAfter: headers["retry-after"],
                retryAfterMilliseconds: headers["retry-after-ms"], voiceId: spec.voiceId)
        }
        return Attempt(
            requestId: headers["request-id"], historyItemId: headers["history-item-id"],
            characterCost: headers["character-cost"].flatMap(Int.init))
    }
}

/// An error from whoever receives the pieces (a full disk while staging them): not the upstream's failure, so
/// it is neither classified nor retried.
struct DeliveryFailed: Error {
    let underlying: any Error
}

/// Whether any piece of the current run went out.
final class Delivered: Sendable {
    private let flag = Mutex(false)
    func mark() { flag.withLock { $0 = true } }
    func reset() { flag.withLock { $0 = false } }
    var value: Bool { flag.withLock { $0 } }
}
