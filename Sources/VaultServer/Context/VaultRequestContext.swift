public import Hummingbird
import NIOCore

/// The request context of every VoiceVault route: Hummingbird's core storage plus this request's `Exchange`.
public struct VaultRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Shared by every copy of this context (see `Exchange`).
    public let exchange: Exchange
    /// How a streamed download reads its file: off the cooperative pool, paced by this connection's socket.
    let fileReads: StreamedFileReads

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        exchange = Exchange()
        fileReads = StreamedFileReads(eventLoop: source.channel.eventLoop)
    }

    public var caller: Caller { exchange.caller }
}
