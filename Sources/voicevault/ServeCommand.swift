import ArgumentParser
import Hummingbird
import Logging
import VaultCore
import VaultServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the HTTP server (SIGTERM/SIGINT shut it down gracefully).")

    @Option(help: "Address to listen on (env VOICEVAULT_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env VOICEVAULT_PORT; default 8080).")
    var port: Int?

    @OptionGroup var data: DataDirectoryOption

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env VOICEVAULT_LOG_LEVEL).")
    var logLevel: String?

    @Option(help: "Initial LMDB map size in MiB; it grows automatically (env VOICEVAULT_INDEX_MAP_MIB; default 256).")
    var indexMapMib: Int?

    func run() async throws {
        let logger = makeLogger(label: "voicevault", level: logLevel ?? Environment.value("VOICEVAULT_LOG_LEVEL"))
        guard let port = try resolvedPort() else { throw ValidationError("--port must be 0...65535") }
        let configuration = ServerConfiguration(
            host: host ?? Environment.value("VOICEVAULT_HOST") ?? ServerConfiguration.defaultHost,
            port: port, dataDirectory: data.resolved)
        var options = LMDBEnvironment.Options()
        if let mib = indexMapMib ?? Environment.value("VOICEVAULT_INDEX_MAP_MIB").flatMap(Int.init) {
            guard mib > 0 else { throw ValidationError("--index-map-mib must be positive") }
            options.mapSize = mib << 20
        }
        let vault: OpenedVault
        do {
            vault = try OpenedVault(root: configuration.dataDirectory, options: options, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["reason": "\(error)"])
            throw ExitCode(73)  // EX_CANTCREAT: the data directory cannot be used
        }
        let assetCount = try vault.store.index.count()
        logger.info(
            "data directory open",
            metadata: [
                "dir": "\(configuration.dataDirectory)", "assets": "\(assetCount)",
                "schema": "\(IndexSchema.current)", "sweptTempFiles": "\(vault.temporaryFilesFound.count)",
            ])
        let app = VaultApplication.make(configuration: configuration, store: vault.store, logger: logger) { port in
            logger.info("listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        }
        try await app.runService()
        withExtendedLifetime(vault) {}
        logger.info("stopped")
    }

    private func resolvedPort() throws -> Int? {
        let value = port ?? Environment.value("VOICEVAULT_PORT").flatMap(Int.init) ?? ServerConfiguration.defaultPort
        return (0...65535).contains(value) ? value : nil
    }
}

func makeLogger(label: String, level: String?) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = level.flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    return logger
}
