import Hummingbird
import Metrics
import Synchronization

/// `voicevault_http_requests_total{route,method,status}` and `voicevault_http_request_duration_seconds{route,method}`,
/// shared by the router's middleware and the download fast path so both transports count alike.
///
/// Every label value is one the server chose, never text a client sent: the route is the matched template
/// (`/audio/{book}/{file}`, or `unmatched`), the method one of the known ones (else `other`), the status a
/// class (`2xx`...). So no client can grow the number of series. Handles are cached per label set, so a request
/// costs a dictionary lookup, not a registry lookup.
final class HTTPRequestMetrics: Sendable {
    /// One label set, found with one lookup keyed by what the request already has (the router's endpoint
    /// string, the method, the status class); the label text is built only the first time.
    private struct Key: Hashable {
        let endpoint: String?
        let method: HTTPRequest.Method
        let statusClass: Int
    }
    private struct Series {
        let requests: Counter
        let duration: Timer
    }
    private let cache = Mutex<[Key: Series]>([:])

    func record(endpoint: String?, method: HTTPRequest.Method, status: Int, nanoseconds: UInt64) {
        // An unknown method's own name is never a key: every one of them shares one entry.
        let method = Self.isKnown(method) ? method : Self.otherMethod
        let series = series(.init(endpoint: endpoint, method: method, statusClass: status / 100))
        series.requests.increment()
        series.duration.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    private func series(_ key: Key) -> Series {
        cache.withLock { cache in
            if let series = cache[key] { return series }
            let route = Self.route(key.endpoint)
            let method = Self.method(key.method)
            let series = Series(
                requests: Counter(
                    label: "voicevault_http_requests_total",
                    dimensions: [("route", route), ("method", method), ("status", "\(key.statusClass)xx")]),
                duration: Timer(
                    label: "voicevault_http_request_duration_seconds",
                    dimensions: [("route", route), ("method", method)], preferredDisplayUnit: .seconds))
            cache[key] = series
            return series
        }
    }

    /// Hummingbird's `/audio/:bookId/:file` as `/audio/{bookId}/{file}`, OpenAPI's spelling.
    static func route(_ endpoint: String?) -> String {
        // Hummingbird names a request no route matched `NotFound` (or leaves it unset).
        guard let endpoint, endpoint != "NotFound" else { return "unmatched" }
        return endpoint.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
    }

    /// Where every method no route uses is counted (a constant, valid token).
    static let otherMethod = HTTPRequest.Method("OTHER") ?? .options

    static func isKnown(_ method: HTTPRequest.Method) -> Bool {
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options: true
        default: false
        }
    }

    static func method(_ method: HTTPRequest.Method) -> String {
        isKnown(method) ? method.rawValue : "other"
    }
}
