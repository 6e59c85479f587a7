/// Settings of one running server. Flags win over environment variables, which win over defaults; the
/// executable resolves them, this type only carries them.
public struct ServerConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var dataDirectory: String

    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8080
    public static let defaultDataDirectory = "./data"

    public init(host: String = defaultHost, port: Int = defaultPort, dataDirectory: String = defaultDataDirectory) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
    }
}
