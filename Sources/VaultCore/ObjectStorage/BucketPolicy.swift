/// A bucket's upload rules: a size limit and allowed MIME types, parsed from what clients send.
public enum BucketPolicy {
    /// `file_size_limit` given as a string, such as `"50MB"`, `"1.5 GB"`, `"100kb"` or `"2048"`. Units are
    /// decimal, as Supabase's are (1 MB = 1,000,000 bytes). Nil for anything unreadable.
    public static func parseSizeLimit(_ text: String) -> Int? { parseSizeText(text) }

    static func parseSizeText(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace().uppercased()
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).trimmingWhitespace()
        guard !digits.isEmpty, let number = Double(digits), number >= 0 else { return nil }
        let multiplier: Double
        switch unit {
        case "", "B": multiplier = 1
        case "KB", "K": multiplier = 1e3
        case "MB", "M": multiplier = 1e6
        case "GB", "G": multiplier = 1e9
        case "TB", "T": multiplier = 1e12
        default: return nil
        }
        let bytes = number * multiplier
        guard bytes < 9e15 else { return nil }
        return Int(bytes.rounded(.down))
    }

    /// Whether `mimeType` (parameters ignored, case-insensitive) matches one of `allowed`, which may hold
    /// wildcards such as `audio/*` or `*/*`. A nil or empty list allows everything.
    public static func allows(mimeType: String, in allowed: [String]?) -> Bool {
        guard let allowed, !allowed.isEmpty else { return true }
        let essence = mediaTypeEssence(mimeType)
        return allowed.contains { pattern in
            let pattern = mediaTypeEssence(pattern)
            if pattern == "*/*" || pattern == "*" { return true }
            // Byte comparisons: `essence` is what a client sent (see `FieldBytes`).
            if pattern.utf8.count >= 2, pattern.utf8.suffix(2).elementsEqual("/*".utf8) {
                return essence.utf8.starts(with: pattern.utf8.dropLast())
            }
            return pattern.utf8.elementsEqual(essence.utf8)
        }
    }

    /// `Audio/MPEG; charset=x` -> `audio/mpeg`. Bytes only (the value is a client's header, see `FieldBytes`);
    /// only ASCII letters are lower-cased.
    public static func mediaTypeEssence(_ value: String) -> String {
        let type = value.utf8.prefix { $0 != UInt8(ascii: ";") }
        return String(decoding: FieldBytes.trimmed(type).map(FieldBytes.lowercased), as: UTF8.self)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice.removeFirst() }
        while slice.last?.isWhitespace == true { slice.removeLast() }
        return String(slice)
    }
}
