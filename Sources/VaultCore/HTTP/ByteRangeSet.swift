/// The `Range` header's `bytes=` form (RFC 9110 section 14.1.1), parsed without any arithmetic that can
/// overflow: positions beyond 2^63 saturate and are then simply past the end of every real file.
public enum ByteRangeSpec: Equatable, Sendable {
    /// `first-last` or `first-` (last = nil).
    case from(first: UInt64, last: UInt64?)
    /// `-length`: the final `length` bytes.
    case suffix(length: UInt64)
}

public enum ByteRangeSet {
    /// The ranges of a `Range` header, or nil when it must be ignored: another unit (`items=`), bad syntax, or
    /// an empty list. RFC 9110: a server ignores a Range it does not understand and sends the whole file.
    public static func parse(_ header: String) -> [ByteRangeSpec]? {
        let trimmed = header.trimmingWhitespace
        guard trimmed.count > 6, trimmed.prefix(6).lowercased() == "bytes=" else { return nil }
        var specs = [ByteRangeSpec]()
        for element in trimmed.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(element).trimmingWhitespace
            if item.isEmpty { continue }  // RFC 9110 allows empty list elements
            guard let dash = item.firstIndex(of: "-") else { return nil }
            let firstText = item[..<dash], lastText = item[item.index(after: dash)...]
            if firstText.isEmpty {
                guard let length = number(lastText) else { return nil }
                specs.append(.suffix(length: length))
            } else {
                guard let first = number(firstText) else { return nil }
                if lastText.isEmpty {
                    specs.append(.from(first: first, last: nil))
                } else {
                    guard let last = number(lastText), last >= first else { return nil }
                    specs.append(.from(first: first, last: last))
                }
            }
        }
        return specs.isEmpty ? nil : specs
    }

    /// Decimal digits only (no sign, no spaces inside), saturating at UInt64.max.
    static func number(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        var value: UInt64 = 0
        for digit in text.utf8 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit - 48))
            if overflow1 || overflow2 { return .max }
            value = sum
        }
        return value
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
