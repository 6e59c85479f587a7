import Hummingbird
import Logging
import Foundation
import NIOCore

/// One structured log line per request: method, path, status, server time and who called; for the voice API
/// also the content hash prefix, HIT/MISS and, on a generating miss, upstream, write and index times, all
/// read from the request's `Exchange`.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // Below info the line is never written; skip building it (downloads are per-request-cost bound).
        guard context.logger.logLevel <= .info else { return try await next(request, context) }
        let start = ContinuousClock.now
        return try await ResponseStatus.observing({ try await next(request, context) }) { status in
            log(request, context, status: status, start: start)
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        var metadata = Self.metadata(method: request.method.rawValue, path: request.uri.path, status: status, microseconds: micros)
        let facts = context.exchange.facts
        if facts.caller != .anonymous { metadata["caller"] = "\(facts.caller.label)" }
        if let hash = facts.contentHash { metadata["hash"] = "\(hash.hex.prefix(12))" }
        if let cache = facts.cache { metadata["cache"] = "\(cache.rawValue)" }
        if let timings = facts.timings {
            metadata["upstreamMs"] = "\(Self.milliseconds(timings.upstreamSeconds))"
            if let firstByte = timings.firstByteSeconds { metadata["firstAudioMs"] = "\(Self.milliseconds(firstByte))" }
            metadata["writeMs"] = "\(Self.milliseconds(timings.writeSeconds))"
            metadata["indexMs"] = "\(Self.milliseconds(timings.indexSeconds))"
        }
        context.logger.info("request", metadata: metadata)
    }

    /// What every request's line says, whichever transport answered it (the download fast path logs too).
    static func metadata(method: String, path: String, status: Int, microseconds: Int64) -> Logger.Metadata {
        ["method": "\(method)", "path": "\(path)", "status": "\(status)", "us": "\(microseconds)"]
    }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1000) }
}
