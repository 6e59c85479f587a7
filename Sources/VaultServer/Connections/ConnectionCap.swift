import Hummingbird
import HummingbirdCore
import Logging

/// Stops accepting connections at `ConnectionLimits.maximumConnections` (new ones wait in the listen backlog
/// until one closes) and says so in the log, at most once a minute while the cap holds, so an operator sees
/// why clients wait instead of a silent stall.
struct ConnectionCap: AvailableConnectionsDelegate {
    let maximum: Int
    let logger: Logger
    private var open = 0
    private var lastWarning: ContinuousClock.Instant?

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        guard open >= maximum else { return }
        let now = ContinuousClock.now
        if let lastWarning, now - lastWarning < .seconds(60) { return }
        lastWarning = now
        logger.warning(
            "connection limit reached: new connections wait in the listen backlog until one closes",
            metadata: ["open": "\(open)", "limit": "\(maximum)", "setting": "VOICEVAULT_MAX_CONNECTIONS"])
    }

    mutating func connectionClosed() {
        open -= 1
    }

    func isAcceptingNewConnections() -> Bool {
        open < maximum
    }
}
