public import Hummingbird
public import Logging
public import VaultCore

/// Builds the Hummingbird application: routes grouped by surface, behind logging and the JSON error shape.
public enum VaultApplication {
    public static func makeRouter(store: AssetStore) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        HealthRoutes(store: store).register(on: router)
        return router
    }

    public static func make(
        configuration: ServerConfiguration, store: AssetStore, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(store: store),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "VoiceVault"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}
