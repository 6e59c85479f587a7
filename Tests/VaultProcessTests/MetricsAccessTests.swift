import Foundation
import Testing
import VaultTestSupport
@testable import VaultServer

/// Who may scrape `/metrics`, and the labels the server chooses (the values are checked by the Prometheus
/// parser in Tests/storage3/test_metrics.py).
@Suite struct MetricsAccessTests {
    @Test func metricsAreClosedWithoutAnAdminTokenAndOpenOnlyWhenMadePublic() async throws {
        let closed = try VoiceTestbed()
        let refused = try await httpRequest("GET", closed.server.baseURL + "/metrics")
        #expect(refused.status == 403)
        #expect(json(refused.body)["error"] as? String == "admin_disabled")

        let open = try VoiceTestbed(environment: ["VOICEVAULT_METRICS_PUBLIC": "true"])
        let scrape = try await httpRequest("GET", open.server.baseURL + "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(scrape.body.contains("# TYPE voicevault_assets gauge"))
    }

    /// The upstream's side: retries by reason, failures by code, and the limiter's gauges, against the fake.
    @Test func upstreamRetriesFailuresAndTheLimiterAreExported() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_METRICS_PUBLIC": "true", "VOICEVAULT_ADMIN_TOKEN": "metrics-admin-0123456789"])
        let voice = "AZnzlk1XvdvUeBnXmlld"
        try await bed.script(voice: voice, ["500", "ok"])
        let made = try await bed.post(VoiceTestbed.requestBody(text: "Retried once.", voice: voice))
        #expect(made.status == 200)
        let hash = try #require(json(made.body)["contentHash"] as? String)
        let bytes = try #require(json(made.body)["bytes"] as? Int)
        let deleted = try await httpRequest(
            "DELETE", bed.server.baseURL + "/admin/audio/\(hash)",
            headers: ["Authorization": "Bearer metrics-admin-0123456789"])
        #expect(deleted.status == 200)
        try await bed.script(voice: voice, ["404"])
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "No such voice.", voice: voice)).status == 404)
        let scrape = try await httpRequest("GET", bed.server.baseURL + "/metrics").body
        #expect(scrape.contains(#"voicevault_upstream_retries_total{reason="server_error"} 1"#), "\(scrape)")
        #expect(scrape.contains(#"voicevault_generation_failures_total{code="voice_not_found"} 1"#))
        #expect(scrape.contains("voicevault_upstream_limiter_in_use 0"))
        #expect(scrape.contains("voicevault_assets_deleted_total 1"))
        #expect(scrape.contains("voicevault_bytes_freed_total \(bytes)"))
        #expect(scrape.contains("voicevault_publish_fsync_duration_seconds_count 1"))
        #expect(scrape.contains("voicevault_upstream_limiter_queued 0"))
    }

    @Test func routeLabelsAreTemplates() {
        #expect(HTTPRequestMetrics.route("/audio/:book/:file") == "/audio/{book}/{file}")
        #expect(HTTPRequestMetrics.route("/storage/v1/**") == "/storage/v1/**")
        #expect(HTTPRequestMetrics.route(nil) == "unmatched")
        #expect(HTTPRequestMetrics.route("NotFound") == "unmatched")
        #expect(HTTPRequestMetrics.method(.init("PROPFIND")!) == "other")
        #expect(HTTPRequestMetrics.method(.get) == "GET")
    }

    @Test func theMetricsSettingIsABoolean() throws {
        let resolve = { (value: String) in
            try ConfigurationResolution.resolve(flags: .init(), environment: ["VOICEVAULT_METRICS_PUBLIC": value], descriptorLimit: 1024)
        }
        #expect(try resolve("true").metricsPublic)
        #expect(try !resolve("false").metricsPublic)
        #expect(throws: ConfigurationResolution.Problem.self) { try resolve("maybe") }
    }
}
