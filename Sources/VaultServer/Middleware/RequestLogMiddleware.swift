import Hummingbird
import Logging
import Foundation
import NIOCore

/// One structured log line per request: method, path, status and server time; for the voice API also the
/// content hash prefix, HIT/MISS and, on a generating miss, upstream, write and index times (read back from
/// the `X-Content-Hash`, `X-Cache` and standard `Server-Timing` headers the route sets).
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // Below info the line is never written; skip building it (downloads are per-request-cost bound).
        guard context.logger.logLevel <= .info else { return try await next(request, context) }
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, start: start, headers: response.headers)
            return response
        } catch let error as any HTTPResponseError {
            log(request, context, status: error.status.code, start: start)
            throw error
        } catch {
            log(request, context, status: 500, start: start)
            throw error
        }
    }

    private func log(
        _ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant, headers: HTTPFields = [:]
    ) {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        var metadata: Logger.Metadata = [
            "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(status)", "us": "\(micros)",
        ]
        if let hash = headers[.init("x-content-hash")!] { metadata["hash"] = "\(hash.prefix(12))" }
        if let cache = headers[.init("x-cache")!] { metadata["cache"] = "\(cache)" }
        if let timing = headers[.init("server-timing")!] {
            for part in timing.split(separator: ",") {
                let fields = part.split(separator: ";")
                if fields.count == 2, fields[1].hasPrefix("dur=") {
                    metadata["\(fields[0].trimmingCharacters(in: .whitespaces))Ms"] = "\(fields[1].dropFirst(4))"
                }
            }
        }
        context.logger.info("request", metadata: metadata)
    }
}
