import Dispatch
import Hummingbird

/// Counts and times every request the router answers (`HTTPRequestMetrics`); the download fast path records
/// into the same series itself.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    let metrics: HTTPRequestMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = DispatchTime.now().uptimeNanoseconds
        return try await ResponseStatus.observing({ try await next(request, context) }) { status in
            metrics.record(
                endpoint: context.endpointPath, method: request.method, status: status,
                nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        }
    }
}
