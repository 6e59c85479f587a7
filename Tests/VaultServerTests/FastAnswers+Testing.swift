import Logging
@testable import VaultServer

extension FastAnswers {
    /// The fast answers as a test's pipeline needs them: `downloads` (nil: none), no voice hits, no metrics,
    /// no access log.
    static func testing(downloads: DownloadRoutes?, crossOrigin: CrossOriginPolicy = CrossOriginPolicy(origins: .none)) -> FastAnswers {
        FastAnswers(
            downloads: downloads, voiceHits: nil, envelope: AnswerEnvelope(crossOrigin: crossOrigin, serverName: "VoiceVault"),
            recorder: RequestRecorder(metrics: nil, accessLog: false), logger: Logger(label: "edge-test"), fileOpening: .singleton,
            answered: nil, answeredFromBytes: nil)
    }
}
