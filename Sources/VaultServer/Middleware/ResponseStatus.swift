import Hummingbird

/// The status a client will see for what `next` does: the response's, a thrown HTTP error's, or 500 for any
/// other error (which `JSONErrorMiddleware` turns into one). For middleware that observe every request (the
/// log line, the metrics) without changing what happens.
enum ResponseStatus {
    static func observing(
        _ next: () async throws -> Response, _ report: (Int) -> Void
    ) async throws -> Response {
        do {
            let response = try await next()
            report(response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            report(error.status.code)
            throw error
        } catch {
            report(500)
            throw error
        }
    }
}
