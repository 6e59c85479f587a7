public import Hummingbird
import NIOCore

/// The request context of every VoiceVault route: Hummingbird's core storage plus this request's `Exchange`.
public struct VaultRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Shared by every copy of this context (see `Exchange`).
    public let exchange: Exchange

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        exchange = Exchange()
    }

    public var caller: Caller { exchange.caller }
}
