import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// The HTTP/1 edge of every connection: the channel pipeline, declared here, head to tail, in the one place
/// that builds it (as Hummingbird's `HTTP1Channel.setup` and Vapor's `addVaporHTTP1Handlers` do). No handler
/// finds another by type or moves itself, and adding any of them fails the connection's setup loudly: an
/// upgrade that renames or moves a handler breaks the build or this setup, never silently the fast answers or
/// the idle timeout. Docs/ARCHITECTURE.md walks requests through it.
///
/// Bytes arrive at the head and answers leave there:
/// 1. `DirectDownloadHandler` (fast answers on only): the plainest downloads, answered from the bytes.
/// 2. NIO's `HTTPResponseEncoder` and `HTTPRequestDecoder` (paired, so a HEAD's answer has no body).
/// 3. `HostRequirementHandler`: HTTP/1.1 without `Host` is a 400 (RFC 9112 §3.2), while the version is known.
/// 4. `ConnectionOwner`: the connection's life (`ConnectionLife`: idle and header deadline, send progress,
///    lingering, `Connection: close`, quiescing, 100-continue), for every request whoever answers it.
/// 5. `FastAnswerHandler` (fast answers on only): downloads and plain voice hits from parsed heads.
/// 6. `HTTP1ToHTTPServerCodec`: NIO's parts to HTTP types, what Hummingbird's router reads.
/// Then the async channel Hummingbird's loop reads, one request at a time, into the router.
struct EdgeChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    struct Configuration: Sendable {
        /// Nil with `VOICEVAULT_FAST_PATH=false`: steps 1 and 5 are left out.
        var fastAnswers: FastAnswers?
        var limits: ConnectionLimits
        /// Hummingbird's defaults for the HTTP/1 parser's limits, kept as they were when it built the pipeline.
        var decoderLimits: NIOHTTPDecoderLimitConfiguration = {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = 80 * 1024
            limits.maxHeaderListSize = 80 * 1024
            limits.maxHeaderFieldCount = 1000
            return limits
        }()
    }

    let responder: HTTPChannelHandler.Responder
    let configuration: Configuration
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try Self.install(on: channel.pipeline.syncOperations, configuration, logger: self.logger)
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }

    /// Adds one connection's handlers, head to tail. Throws if any cannot be added: a connection never runs
    /// with part of its edge.
    static func install(on pipeline: ChannelPipeline.SynchronousOperations, _ configuration: Configuration, logger: Logger) throws {
        let fastAnswers = configuration.fastAnswers
        let owner = ConnectionOwner(limits: configuration.limits, logger: logger)
        // 1.
        if let fastAnswers, let direct = DirectDownloadHandler(fastAnswers, observer: owner) {
            try pipeline.addHandler(direct)
        }
        // 2. Appended by NIO's own call, the only one that pairs the decoder with the encoder.
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: configuration.decoderLimits)
        // 3. and 4.
        try pipeline.addHandlers([HostRequirementHandler(), owner])
        // 5.
        if let fastAnswers { try pipeline.addHandler(FastAnswerHandler(fastAnswers)) }
        // 6.
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
    }
}

extension HTTPServerBuilder {
    /// VoiceVault's HTTP/1 server: Hummingbird's, with `EdgeChannel`'s pipeline.
    static func edge(_ configuration: EdgeChannel.Configuration, logger: Logger) -> HTTPServerBuilder {
        .init { responder in EdgeChannel(responder: responder, configuration: configuration, logger: logger) }
    }
}
