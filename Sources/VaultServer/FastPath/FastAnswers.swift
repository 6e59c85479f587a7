import Logging
import Metrics
import NIOPosix

/// What the fast answers share, on every connection (`FastAnswerHandler` from parsed heads,
/// `DirectDownloadHandler` from the bytes): the decisions they may take, and the envelope and request record
/// the router uses too. Values, given to each handler at setup; no handler holds another.
struct FastAnswers: Sendable {
    /// `/audio` downloads; nil leaves them to the router.
    var downloads: DownloadRoutes?
    /// Plain cache hits of `POST /api/voice`; nil leaves them to the router.
    var voiceHits: VoiceHitShortcut?
    var envelope: AnswerEnvelope
    var recorder: RequestRecorder
    /// Where request lines go.
    var logger: Logger
    var fileOpening: NIOThreadPool
    /// `voicevault_http_fast_path_responses_total`: shows an operator (and the tests) that it is in use.
    var answered: Counter?
    /// `voicevault_http_fast_path_direct_responses_total`: the share of those answered from the bytes,
    /// beneath NIO's HTTP/1 codec (`DirectDownloadHandler`).
    var answeredFromBytes: Counter?
}
