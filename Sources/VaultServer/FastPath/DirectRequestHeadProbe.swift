/// What the byte-level reader (`DirectRequestHead`) takes from a head, in plain values, for the differential
/// fuzz target (`vault-fuzz directRequestHead`), which holds it to NIO's parser on arbitrary bytes. The reader
/// itself stays internal: this is the one public view of its verdict.
public enum DirectRequestHeadProbe {
    public struct Taken: Equatable, Sendable {
        public let method: String
        public let target: String
        public let keepAlive: Bool
        /// The bytes of the head, up to and including its blank line.
        public let length: Int
        /// The fields the download planner reads and `Origin`, by lower-case name; repeated ones joined with ", ".
        public let fields: [String: String]
    }

    /// The head at the start of `bytes` when the reader takes it; nil when it declines or wants more bytes.
    public static func read(_ bytes: [UInt8]) -> Taken? {
        var searched = 0
        guard case let .head(head, length) = bytes.withUnsafeBytes({ DirectRequestHead.read($0, searchedUpTo: &searched) }) else {
            return nil
        }
        let named: [(String, String?)] = [
            ("range", head.range), ("if-range", head.ifRange), ("if-match", head.ifMatch),
            ("if-none-match", head.ifNoneMatch), ("if-modified-since", head.ifModifiedSince),
            ("if-unmodified-since", head.ifUnmodifiedSince), ("origin", head.origin),
        ]
        var fields: [String: String] = [:]
        for case let (name, value?) in named { fields[name] = value }
        return Taken(
            method: head.method == .get ? "GET" : "HEAD", target: head.target, keepAlive: head.keepAlive, length: length,
            fields: fields)
    }
}
