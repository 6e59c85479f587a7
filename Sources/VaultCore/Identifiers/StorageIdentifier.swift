/// A validated identifier that becomes one path component on disk: a bookId or a chapterId.
///
/// The rule is an allow-list, not a list of known tricks: 1-128 characters of `A-Z a-z 0-9 . _ -`, not
/// starting with `.` and never containing `..`. That excludes by construction slashes, backslashes, NUL,
/// percent-encodings (`%2e%2e`), whitespace, Unicode look-alikes and the `.`/`..` segments, so a valid
/// identifier can never name a path outside its directory, and it is the same string in a URL and on disk.
public struct StorageIdentifier: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case bookId
        case chapterId
    }

    public static let maximumLength = 128

    public let value: String

    public init(_ raw: String, kind: Kind) throws(IdentifierError) {
        if let problem = Self.problem(with: raw) {
            throw IdentifierError(kind: kind, value: raw, reason: problem)
        }
        value = raw
    }

    public var description: String { value }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    /// Why `raw` is not a valid identifier, or nil when it is.
    static func problem(with raw: String) -> String? {
        let bytes = raw.utf8
        if bytes.isEmpty { return "must not be empty" }
        if bytes.count > maximumLength { return "must be at most \(maximumLength) characters" }
        var previous: UInt8 = 0
        var doubleDot = false
        for byte in bytes {
            let allowed =
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            if !allowed {
                return byte == 0
                    ? "must not contain NUL"
                    : byte == UInt8(ascii: "/")
                        ? "must not contain '/'"
                        : byte == UInt8(ascii: "%")
                            ? "must not contain '%'"
                            : "may contain only A-Z, a-z, 0-9, '.', '_' and '-'"
            }
            if byte == UInt8(ascii: "."), previous == UInt8(ascii: ".") { doubleDot = true }
            previous = byte
        }
        if bytes.first == UInt8(ascii: ".") { return "must not start with '.'" }
        if doubleDot { return "must not contain '..'" }
        return nil
    }
}

/// A rejected identifier, with a stable code per kind for API errors (`invalid_book_id`, `invalid_chapter_id`).
public struct IdentifierError: Error, Equatable, Sendable, CustomStringConvertible {
    public let kind: StorageIdentifier.Kind
    public let value: String
    public let reason: String

    public var code: String {
        switch kind {
        case .bookId: "invalid_book_id"
        case .chapterId: "invalid_chapter_id"
        }
    }

    public var description: String {
        // Never echo control characters back; show a printable rendering of the offending value.
        let printable = value.unicodeScalars.prefix(80).map {
            $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f
                ? String($0) : "\\u{\(String($0.value, radix: 16))}"
        }.joined()
        return "\(kind.rawValue) '\(printable)' \(reason)"
    }
}
