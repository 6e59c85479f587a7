/// What one client connection may hold of the server: time and a share of the descriptors. Pure: the
/// executable resolves settings into it, `VaultApplication` carries it out (Docs/OPERATIONS.md, "Limits").
///
/// VoiceVault serves public downloads on the open internet, where connections that send nothing, send a
/// header byte at a time, or stop reading are cheap to make and must be cheap to hold.
public struct ConnectionLimits: Sendable, Equatable {
    /// A connection with no complete request part for this long is closed: an idle keep-alive connection, a
    /// header still arriving (slowloris), a request body that stopped (`VOICEVAULT_IDLE_TIMEOUT_SECONDS`).
    public var idleTimeoutSeconds: Int
    /// A response the client stops reading is abandoned after this long without progress
    /// (`VOICEVAULT_SEND_TIMEOUT_SECONDS`), as nginx's `send_timeout`.
    public var sendTimeoutSeconds: Int
    /// Open connections served at once; more wait in the listen backlog (`VOICEVAULT_MAX_CONNECTIONS`).
    public var maximumConnections: Int
    /// After a response has ended while its request body is still unread, the connection may take this much
    /// more of that body (so a small refused upload ends cleanly); past it the server stops reading, so an
    /// early refusal never reads a gigabyte it refused.
    public var lingeringBodyBytes: Int
    /// ... and this long.
    public var lingeringSeconds: Int

    public static let defaultIdleTimeoutSeconds = 60
    public static let defaultSendTimeoutSeconds = 60
    /// Descriptors kept for everything but client connections: LMDB, files being served or written, the
    /// upstream client's connections, logs.
    public static let reservedDescriptors = 256

    public init(
        idleTimeoutSeconds: Int = defaultIdleTimeoutSeconds, sendTimeoutSeconds: Int = defaultSendTimeoutSeconds,
        maximumConnections: Int = 4_096, lingeringBodyBytes: Int = 1 << 20, lingeringSeconds: Int = 5
    ) {
        self.idleTimeoutSeconds = max(1, idleTimeoutSeconds)
        self.sendTimeoutSeconds = max(1, sendTimeoutSeconds)
        self.maximumConnections = max(1, maximumConnections)
        self.lingeringBodyBytes = max(0, lingeringBodyBytes)
        self.lingeringSeconds = max(1, lingeringSeconds)
    }

    /// The default connection cap for a process that may open `descriptorLimit` files: all but the reserve,
    /// and each served response may hold one more descriptor (the file it streams), so half of the rest.
    /// At least 16, so a tiny limit still serves.
    public static func defaultMaximumConnections(descriptorLimit: Int) -> Int {
        max(16, (descriptorLimit - reservedDescriptors) / 2)
    }
}
