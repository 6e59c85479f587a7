import Logging
import NIOCore
import NIOEmbedded
import Testing
import VaultCore
import VaultTestSupport
@testable import VaultServer

/// The edge's pipeline is declared in one place (`EdgeChannel.install`): the handlers are exactly these, in
/// this order, with the fast answers on and off.
@Suite struct EdgeChannelTests {
    static func handlerTypes(fastAnswers: Bool) throws -> [String] {
        let directory = TemporaryDirectory()
        let store = try AssetStore.open(directory: DataDirectory(root: directory.sub("data")))
        let downloads = DownloadRoutes(
            store: store, cache: HotFileCache(capacity: 1 << 20, entryLimit: 1 << 16),
            responder: DownloadResponder(), heard: nil)
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try EdgeChannel.install(
            on: channel.pipeline.syncOperations,
            .init(fastAnswers: fastAnswers ? .testing(downloads: downloads) : nil, limits: ConnectionLimits()),
            logger: Logger(label: "test"))
        // NIO's description lists the handlers head to tail, one per line, each with its type.
        return String(describing: channel.pipeline).split(separator: "\n").compactMap { line in
            // The type, without generic arguments (the decoder's spell out HTTP parts, with spaces).
            line.split(separator: " ").first { $0.first?.isUppercase == true && !$0.hasPrefix("ChannelPipeline") }
                .map { String($0.prefix { $0 != "<" }) }
        }
    }

    @Test func theHandlersInOrderWithTheFastAnswersOn() throws {
        let types = try Self.handlerTypes(fastAnswers: true)
        #expect(
            types == [
                "DirectDownloadHandler", "HTTPResponseEncoder", "ByteToMessageHandler", "HostRequirementHandler", "ConnectionOwner",
                "FastAnswerHandler", "HTTP1ToHTTPServerCodec",
            ], "\(types)")
    }

    @Test func theSamePipelineWithoutThemMinusTheFastAnswers() throws {
        let types = try Self.handlerTypes(fastAnswers: false)
        #expect(
            types == [
                "HTTPResponseEncoder", "ByteToMessageHandler", "HostRequirementHandler", "ConnectionOwner", "HTTP1ToHTTPServerCodec",
            ],
            "\(types)")
    }
}
