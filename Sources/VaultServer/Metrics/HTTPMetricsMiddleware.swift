import Dispatch
import Hummingbird
import Metrics
import Synchronization

/// Counts requests and times them by route template, method and status class:
/// `voicevault_http_requests_total{route,method,status}` and `voicevault_http_request_duration_seconds{route,method}`.
///
/// Every label value is one the server chose, never text a client sent: the route is the matched template
/// (`/audio/{book}/{file}`, or `unmatched`), the method one of the known ones (else `other`), the status a
/// class (`2xx`...). So no client can grow the number of series. Handles are cached per label set, so a request
/// costs a dictionary lookup, not a registry lookup.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    private final class Handles: Sendable {
        struct Key: Hashable {
            let route: String
            let method: String
            let status: String
        }
        private let counters = Mutex<[Key: Counter]>([:])
        private let timers = Mutex<[Key: Timer]>([:])

        func counter(_ key: Key) -> Counter {
            counters.withLock { cache in
                if let counter = cache[key] { return counter }
                let counter = Counter(label: "voicevault_http_requests_total",
                                      dimensions: [("route", key.route), ("method", key.method), ("status", key.status)])
                cache[key] = counter
                return counter
            }
        }

        func timer(_ key: Key) -> Timer {
            let timerKey = Key(route: key.route, method: key.method, status: "")
            return timers.withLock { cache in
                if let timer = cache[timerKey] { return timer }
                let timer = Timer(label: "voicevault_http_request_duration_seconds",
                                  dimensions: [("route", key.route), ("method", key.method)], preferredDisplayUnit: .seconds)
                cache[timerKey] = timer
                return timer
            }
        }
    }

    private let handles = Handles()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let status: Int
        do {
            let response = try await next(request, context)
            status = response.status.code
            record(request, context, status: status, start: start)
            return response
        } catch let error as any HTTPResponseError {
            record(request, context, status: error.status.code, start: start)
            throw error
        } catch {
            record(request, context, status: 500, start: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, start: UInt64) {
        let key = Handles.Key(route: Self.route(context.endpointPath), method: Self.method(request.method),
                              status: "\(status / 100)xx")
        handles.counter(key).increment()
        handles.timer(key).recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
    }

    /// Hummingbird's `/audio/:bookId/:file` as `/audio/{bookId}/{file}`, OpenAPI's spelling.
    static func route(_ endpoint: String?) -> String {
        // Hummingbird names a request no route matched `NotFound` (or leaves it unset).
        guard let endpoint, endpoint != "NotFound" else { return "unmatched" }
        return endpoint.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
    }

    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    static func method(_ method: HTTPRequest.Method) -> String {
        knownMethods.contains(method.rawValue) ? method.rawValue : "other"
    }
}
