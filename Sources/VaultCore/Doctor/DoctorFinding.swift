/// One line of `voicevault doctor`: what was checked, how it stands, and what to do about it.
public struct DoctorFinding: Sendable, Equatable, Codable {
    /// Ordered: the worst finding decides the exit status (0 pass, 1 warn, 2 fail).
    public enum Verdict: String, Sendable, Codable, Comparable, CaseIterable {
        case pass, warn, fail

        var rank: Int {
            switch self {
            case .pass: 0
            case .warn: 1
            case .fail: 2
            }
        }

        public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }

        public var exitStatus: Int32 { Int32(rank) }
    }

    /// A stable name: `elevenlabs`, `clock`, `data_directory`, `free_space`, `index`, `ledger`.
    public let check: String
    public let verdict: Verdict
    /// The state, and for a warning or failure what to do, in one line.
    public let message: String

    public init(_ check: String, _ verdict: Verdict, _ message: String) {
        self.check = check
        self.verdict = verdict
        self.message = message
    }

    public var line: String { "\(verdict.rawValue.uppercased()) \(check): \(message)" }

    /// The exit status of a run: its worst finding's.
    public static func exitStatus(_ findings: [DoctorFinding]) -> Int32 {
        (findings.map(\.verdict).max() ?? .pass).exitStatus
    }
}
