#if canImport(Glibc)
import Glibc
#endif
public import Logging
import Synchronization

/// One line per event on standard error (through `LogLineWriter`, off the request's thread), in swift-log's
/// `StreamLogHandler` layout
/// (`<time> <level> <label>: <key=value ...> [<source>] <message>`), so tools that read the log see no change.
///
/// Why not `StreamLogHandler`: it renders its metadata into a string every time a key is set, and Hummingbird
/// sets a request id on every request's logger. Most requests never log at the configured level, so this
/// handler keeps metadata as a dictionary and renders it only when a line is written.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata {
            if merged.isEmpty { merged = explicit } else { merged.merge(explicit) { $1 } }
        }
        // One string, sized once: a request line is written at every request at info level, and building it
        // from interpolated pieces and joined arrays cost more than the rest of a cached download.
        var line = Self.currentTimestamp()
        line.reserveCapacity(160 + merged.count * 24)
        line += " "
        line += event.level.rawValue
        line += " "
        line += label
        line += ":"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += key
            line += "="
            line += value.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        LogLineWriter.shared.append(line)
    }

    /// `timestamp()` of the current second, formatted once a second.
    private static let secondStamp = Mutex((second: 0, text: ""))

    static func currentTimestamp() -> String {
        let now = time(nil)
        return secondStamp.withLock { stamp in
            if stamp.second != now { stamp = (now, timestamp(now)) }
            return stamp.text
        }
    }

    /// Writes every line logged so far (at shutdown: lines are written by a thread of their own).
    public static func flush() {
        LogLineWriter.shared.flush()
    }

    /// Local time as `2026-11-25T18:15:13+0000`, as `StreamLogHandler` writes it.
    static func timestamp(_ at: time_t = time(nil)) -> String {
        var now = at
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
