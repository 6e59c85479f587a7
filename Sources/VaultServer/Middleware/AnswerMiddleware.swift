import Dispatch
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// What the router does for every request, outermost, so it sees every answer, errors included: answers a
/// CORS preflight itself (`CrossOriginPolicy`), puts the answer envelope on the answer (`AnswerEnvelope`:
/// nosniff, the cross-origin fields, `Date`, `Server`; `Connection` is the connection owner's), and records
/// the request (`RequestRecorder`: metrics and the log line). The fast answers do the same three with the same
/// values, so the two transports cannot drift.
struct AnswerMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    private let envelope: NIOLockedValueBox<AnswerEnvelope>
    private let crossOrigin: CrossOriginPolicy
    let recorder: RequestRecorder

    init(envelope: AnswerEnvelope, recorder: RequestRecorder) {
        self.envelope = NIOLockedValueBox(envelope)
        self.crossOrigin = envelope.crossOrigin
        self.recorder = recorder
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let origin = request.headers[.origin]
        var response: Response
        if let origin, crossOrigin.origins != .none, CrossOriginPolicy.isPreflight(method: request.method, headers: request.headers) {
            let answer = crossOrigin.preflight(
                origin: origin, requestedMethod: request.headers[.accessControlRequestMethod] ?? "",
                requestedHeaders: request.headers[.accessControlRequestHeaders])
            response = Response(status: answer.status, headers: answer.headers, body: .init())
        } else {
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            } catch {
                // Unknown errors become `JSONErrorMiddleware`'s 500 further in; one that gets here is recorded as
                // such and rethrown for Hummingbird to answer.
                record(request, context, status: 500, start: start)
                throw error
            }
        }
        record(request, context, status: response.status.code, start: start)
        envelope.withLockedValue { $0.apply(to: &response.headers, origin: origin, closing: false) }
        return response
    }

    private func record(_ request: Request, _ context: Context, status: Int, start: UInt64) {
        recorder.record(
            method: request.method, endpoint: context.endpointPath, path: request.uri.path, status: status,
            facts: context.exchange.facts, startedAt: start, logger: context.logger)
    }
}
