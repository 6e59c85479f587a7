import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Records one answered request, whichever transport answered it: the request metrics
/// (`HTTPRequestMetrics`) and, with the access log on, one structured line (method, path, status, server
/// time, and what the request's `Exchange.Facts` say: caller, content hash, HIT/MISS, a generation's times).
/// The router's `AnswerMiddleware` and the fast answers call the same function, so both transports count and
/// log alike; a test compares their lines.
///
/// Recorded before the answer's first byte goes out: whoever reads an answer and then the metrics finds it
/// counted.
struct RequestRecorder: Sendable {
    /// Nil without a metrics registry.
    let metrics: HTTPRequestMetrics?
    /// Whether request lines are written (`VOICEVAULT_ACCESS_LOG`).
    let accessLog: Bool

    /// `endpoint` is the route's template (the metrics' label); `path` is made only when a line is written.
    /// `newRequestID`: the line gets a request id of its own (the router's loggers carry one already).
    func record(
        method: HTTPRequest.Method, endpoint: String?, path: @autoclosure () -> String, status: Int, facts: Exchange.Facts,
        startedAt start: UInt64, logger: Logger, newRequestID: Bool = false
    ) {
        let elapsed = DispatchTime.now().uptimeNanoseconds &- start
        metrics?.record(endpoint: endpoint, method: method, status: status, nanoseconds: elapsed)
        guard accessLog, logger.logLevel <= .info else { return }
        var line = Self.line(method: method.rawValue, path: path(), status: status, nanoseconds: elapsed, facts: facts)
        // In the line, not in a copy of the logger: a logger's own metadata costs an allocation per request.
        if newRequestID { line["hb.request.id"] = "\(RequestID())" }
        logger.info("request", metadata: line)
    }

    /// The line's metadata.
    static func line(method: String, path: String, status: Int, nanoseconds: UInt64, facts: Exchange.Facts) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "method": "\(method)", "path": "\(path)", "status": "\(status)", "us": "\(nanoseconds / 1_000)",
        ]
        if facts.caller != .anonymous { metadata["caller"] = "\(facts.caller.label)" }
        if let hash = facts.contentHash { metadata["hash"] = "\(hash.hex.prefix(12))" }
        if let cache = facts.cache { metadata["cache"] = "\(cache.rawValue)" }
        if let timings = facts.timings {
            metadata["upstreamMs"] = "\(milliseconds(timings.upstreamSeconds))"
            if let firstByte = timings.firstByteSeconds { metadata["firstAudioMs"] = "\(milliseconds(firstByte))" }
            metadata["writeMs"] = "\(milliseconds(timings.writeSeconds))"
            metadata["indexMs"] = "\(milliseconds(timings.indexSeconds))"
        }
        return metadata
    }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1000) }
}
