import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on loopback in front of an engine (PostgreSQL, the S3 store), which a test cuts and restores:
/// cut, every connection through it is reset and new ones are refused, as when the engine restarts or the
/// network to it fails; restored, connections go through again. The engine itself, shared by every suite,
/// is never touched.
public final class CuttableProxy: Sendable {
    public let port: Int
    let targetPort: Int
    private let state = Mutex<(cut: Bool, open: [any Channel])>((false, []))
    private let server: any Channel

    public static func start(to targetPort: Int) async throws -> CuttableProxy {
        let box = Mutex<CuttableProxy?>(nil)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                guard let proxy = box.withLock({ $0 }) else { return inbound.close() }
                return proxy.accept(inbound)
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = CuttableProxy(server: server, targetPort: targetPort)
        box.withLock { $0 = proxy }
        return proxy
    }

    private init(server: any Channel, targetPort: Int) {
        self.server = server
        self.targetPort = targetPort
        port = server.localAddress?.port ?? 0
    }

    /// Resets every connection and refuses new ones until `restore`.
    public func cut() {
        let open = state.withLock { state in
            state.cut = true
            defer { state.open = [] }
            return state.open
        }
        for channel in open { channel.close(promise: nil) }
    }

    public func restore() { state.withLock { $0.cut = false } }

    public func stop() {
        cut()
        server.close(promise: nil)
    }

    private func accept(_ inbound: any Channel) -> EventLoopFuture<Void> {
        guard !state.withLock({ $0.cut }) else { return inbound.close() }
        let targetPort = targetPort
        return ClientBootstrap(group: inbound.eventLoop)
            .connect(host: "127.0.0.1", port: targetPort)
            .flatMap { outbound in
                self.state.withLock { $0.open += [inbound, outbound] }
                // Neither engine speaks first, so nothing arrives before both handlers are in place.
                return inbound.pipeline.addHandler(Pipe(partner: outbound)).flatMap {
                    outbound.pipeline.addHandler(Pipe(partner: inbound))
                }
            }
            .flatMapError { _ in inbound.close() }
    }

    /// Copies what one side reads to the other, and closes the other when one closes.
    private final class Pipe: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let partner: any Channel

        init(partner: any Channel) { self.partner = partner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
