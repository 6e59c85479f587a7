/// An extended M3U playlist (`#EXTM3U`, then `#EXTINF:<seconds>,<title>` before each URL), the format every
/// player that opens a playlist reads. Titles are one line: line breaks (which `BookLink` refuses anyway) become
/// spaces, so an entry can never add a line of its own.
public struct ExtendedM3U: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let durationSeconds: Double
        public let title: String
        public let url: String

        public init(durationSeconds: Double, title: String, url: String) {
            self.durationSeconds = durationSeconds
            self.title = title
            self.url = url
        }
    }

    public let entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }

    public var text: String {
        var lines = ["#EXTM3U"]
        for entry in entries {
            let seconds = (entry.durationSeconds * 1000).rounded() / 1000
            lines.append("#EXTINF:\(Self.decimal(seconds)),\(Self.oneLine(entry.title))")
            lines.append(Self.oneLine(entry.url))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }

    /// Seconds with at most three decimals and no exponent ("73.4", "12").
    static func decimal(_ value: Double) -> String {
        let milliseconds = Int((max(0, value) * 1000).rounded())
        let (whole, fraction) = (milliseconds / 1000, milliseconds % 1000)
        guard fraction != 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
