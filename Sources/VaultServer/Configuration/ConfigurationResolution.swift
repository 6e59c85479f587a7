public import Foundation
import VaultCore

/// Turns flags, environment variables and the keys file into a `ServerConfiguration`: flags win over the
/// environment, which wins over defaults. Pure (the environment is a dictionary, the file a closure), so
/// every rule has a unit test and `serve` only gathers inputs.
public enum ConfigurationResolution {
    /// What the command line gave; nil where a flag was not passed.
    public struct Flags: Sendable, Equatable {
        public var host: String?
        public var port: Int?
        public var dataDirectory: String?
        public init(host: String? = nil, port: Int? = nil, dataDirectory: String? = nil) {
            self.host = host
            self.port = port
            self.dataDirectory = dataDirectory
        }
    }

    /// A setting that cannot be used, named, so start-up stops with a message that says what to fix.
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    public static func resolve(
        flags: Flags, environment: [String: String], descriptorLimit: Int,
        readFile: (String) throws -> Data = { try Data(contentsOf: URL(fileURLWithPath: $0)) }
    ) throws(Problem) -> ServerConfiguration {
        let settings = Settings(environment)
        let port: Int
        if let flag = flags.port {
            port = flag
        } else {
            port = try settings.integer("VOICEVAULT_PORT", default: ServerConfiguration.defaultPort, minimum: 0)
        }
        guard (0...65535).contains(port) else { throw Problem("--port must be 0...65535 (got \(port))") }
        let limits = ConnectionLimits(
            idleTimeoutSeconds: try settings.integer(
                "VOICEVAULT_IDLE_TIMEOUT_SECONDS", default: ConnectionLimits.defaultIdleTimeoutSeconds, minimum: 1),
            sendTimeoutSeconds: try settings.integer(
                "VOICEVAULT_SEND_TIMEOUT_SECONDS", default: ConnectionLimits.defaultSendTimeoutSeconds, minimum: 1),
            maximumConnections: try settings.integer(
                "VOICEVAULT_MAX_CONNECTIONS", default: ConnectionLimits.defaultMaximumConnections(descriptorLimit: descriptorLimit),
                minimum: 1),
            lingeringSeconds: try settings.integer("VOICEVAULT_LINGER_SECONDS", default: 5, minimum: 1))
        let clientKeys = try self.clientKeys(settings, readFile: readFile)
        let adminToken = settings["VOICEVAULT_ADMIN_TOKEN"]
        if let adminToken, APIKeyAuthenticator(keys: clientKeys).contains(secret: adminToken) {
            // One secret in both roles would let every reading app administer the server.
            throw Problem("VOICEVAULT_ADMIN_TOKEN is also a client key; the admin token must be a secret of its own")
        }
        var price: Double?
        if let raw = settings["VOICEVAULT_PRICE_PER_1000_CHARACTERS"] {
            guard let value = Double(raw), value.isFinite, value >= 0 else {
                throw Problem("VOICEVAULT_PRICE_PER_1000_CHARACTERS=\(raw) must be a number >= 0 (say 0.30)")
            }
            price = value
        }
        let metricsPublic = try settings.boolean("VOICEVAULT_METRICS_PUBLIC", default: false)
        var configuration = ServerConfiguration(
            host: flags.host ?? settings["VOICEVAULT_HOST"] ?? ServerConfiguration.defaultHost,
            port: port,
            dataDirectory: flags.dataDirectory ?? settings["VOICEVAULT_DATA_DIR"] ?? ServerConfiguration.defaultDataDirectory,
            clientKeys: clientKeys,
            publicBaseURL: settings["VOICEVAULT_PUBLIC_BASE_URL"],
            maximumTextCharacters: try settings.integer(
                "VOICEVAULT_MAX_TEXT_CHARS", default: SpeechSpec.defaultMaximumTextCharacters, minimum: 1),
            maximumBodyBytes: try settings.integer("VOICEVAULT_MAX_BODY_BYTES", default: 4 << 20, minimum: 1024),
            dailyCharacterBudget: try settings.integer("VOICEVAULT_DAILY_CHARACTER_BUDGET", default: 0, minimum: 0),
            downloadCacheBytes: try settings.integer("VOICEVAULT_DOWNLOAD_CACHE_MIB", default: 256, minimum: 0) << 20,
            maximumUploadBytes: try settings.integer("VOICEVAULT_MAX_UPLOAD_BYTES", default: 50_000_000, minimum: 1),
            maximumRanges: try settings.integer("VOICEVAULT_MAX_RANGES", default: 16, minimum: 1),
            crossOrigin: CrossOriginPolicy(setting: settings["VOICEVAULT_CORS_ORIGINS"]),
            connectionLimits: limits,
            adminToken: adminToken, pricePerThousandCharacters: price)
        configuration.metricsPublic = metricsPublic
        configuration.fastPath = try settings.boolean("VOICEVAULT_FAST_PATH", default: true)
        configuration.accessLog = try settings.boolean("VOICEVAULT_ACCESS_LOG", default: true)
        configuration.openFileCacheEntries = try settings.integer(
            "VOICEVAULT_OPEN_FILE_CACHE", default: 128, minimum: 0)
        let storeLimit = try settings.integer("VOICEVAULT_MAX_STORE_BYTES", default: 0, minimum: 0)
        configuration.maximumStoreBytes = storeLimit > 0 ? storeLimit : nil
        configuration.resumableExpirySeconds = try settings.integer("VOICEVAULT_RESUMABLE_EXPIRY_SECONDS", default: 86_400, minimum: 1)
        configuration.maximumResumableUploads = try settings.integer("VOICEVAULT_RESUMABLE_MAX_UPLOADS", default: 1_000, minimum: 1)
        configuration.maximumPositionsPerKey = try settings.integer("VOICEVAULT_MAX_POSITIONS_PER_KEY", default: 100_000, minimum: 1)
        switch (settings["VOICEVAULT_S3_ACCESS_KEY_ID"], settings["VOICEVAULT_S3_SECRET_ACCESS_KEY"]) {
        case let (id?, secret?):
            guard secret.utf8.count >= 16 else { throw Problem("VOICEVAULT_S3_SECRET_ACCESS_KEY must be at least 16 characters") }
            configuration.s3Credentials = .init(accessKeyId: id, secretAccessKey: secret)
        case (nil, nil): break
        default: throw Problem("set both VOICEVAULT_S3_ACCESS_KEY_ID and VOICEVAULT_S3_SECRET_ACCESS_KEY, or neither")
        }
        return configuration
    }

    /// `VOICEVAULT_API_KEYS` (a plain comma-separated list: unnamed keys without limits of their own) and
    /// `VOICEVAULT_API_KEYS_FILE` (named keys with limits, `ClientKeyFile`), together. A secret or a name
    /// may appear only once across both.
    static func clientKeys(_ settings: Settings, readFile: (String) throws -> Data) throws(Problem) -> [ClientKey] {
        var keys = (settings["VOICEVAULT_API_KEYS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { ClientKey(secret: $0) }
        if let path = settings["VOICEVAULT_API_KEYS_FILE"] {
            let data: Data
            do { data = try readFile(path) } catch { throw Problem("VOICEVAULT_API_KEYS_FILE=\(path) cannot be read: \(error)") }
            do { keys += try ClientKeyFile.keys(from: data) } catch { throw Problem("VOICEVAULT_API_KEYS_FILE=\(path): \(error)") }
        }
        var ids = Set<String>()
        var names = Set<String>()
        for key in keys {
            guard ids.insert(key.id).inserted else { throw Problem("client key \(key.name) is configured twice") }
            guard names.insert(key.name).inserted else { throw Problem("two client keys are named \(key.name)") }
        }
        return keys
    }

    /// Non-empty environment variables, and integers read from them with a clear message when malformed:
    /// the one reading of settings, also for the executable's own (log level, upstream tuning).
    public struct Settings: Sendable {
        let environment: [String: String]
        public init(_ environment: [String: String]) { self.environment = environment }

        public subscript(name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }

        public func integer(_ name: String, default fallback: Int, minimum: Int) throws(Problem) -> Int {
            guard let raw = self[name] else { return fallback }
            guard let number = Int(raw), number >= minimum else { throw Problem("\(name)=\(raw) must be an integer >= \(minimum)") }
            return number
        }

        public func boolean(_ name: String, default fallback: Bool) throws(Problem) -> Bool {
            switch self[name]?.lowercased() {
            case nil: fallback
            case "false", "0", "no", "off": false
            case "true", "1", "yes", "on": true
            case let other?: throw Problem("\(name)=\(other) must be true or false")
            }
        }
    }
}
