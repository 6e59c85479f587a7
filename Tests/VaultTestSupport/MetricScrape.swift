public import AsyncHTTPClient

/// Series read from a server's `/metrics` (served without a token where a test sets
/// `VOICEVAULT_METRICS_PUBLIC`).
public enum MetricScrape {
    /// The value of one series; 0 before its first count.
    public static func value(_ series: String, _ server: ServerProcess, client: HTTPClient = .shared) async throws -> Int {
        let scrape = try await httpRequest("GET", server.baseURL + "/metrics", client: client).body
        let line = scrape.split(separator: "\n").first { $0.hasPrefix(series + " ") }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) } ?? 0
    }

    /// Answers given ahead of the router.
    public static func fastAnswers(_ server: ServerProcess, client: HTTPClient = .shared) async throws -> Int {
        try await value("voicevault_http_fast_path_responses_total", server, client: client)
    }

    /// Of those, the answers given from the request's bytes.
    public static func directAnswers(_ server: ServerProcess) async throws -> Int {
        try await value("voicevault_http_fast_path_direct_responses_total", server)
    }
}
