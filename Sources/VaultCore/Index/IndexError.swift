/// Failures of the asset index that are not plain LMDB errors.
public enum IndexError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data directory was written by a newer VoiceVault; refusing protects it from a downgrade.
    case newerSchema(found: Int, supported: Int)
    case unreadableSchemaVersion(String)
    case corruptRecord(hash: String, reason: String)
    /// Opened read-only beside a server, the index must already be at this version's schema (only a writer
    /// migrates).
    case schemaNotCurrent(found: Int?, current: Int)

    public var description: String {
        switch self {
        case let .newerSchema(found, supported):
            "the index has schema version \(found) but this voicevault supports up to \(supported); run a newer voicevault"
        case let .unreadableSchemaVersion(raw): "the index schema version '\(raw)' is not a number"
        case let .corruptRecord(hash, reason): "index record \(hash) cannot be decoded: \(reason)"
        case let .schemaNotCurrent(found, current):
            "the index has schema version \(found.map(String.init) ?? "none") and this voicevault needs \(current); "
                + "start this version's server on it once (it migrates), then try again"
        }
    }
}
