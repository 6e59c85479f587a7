import NIOHTTP1

extension HTTPHeaders {
    /// A field's values as the router reads them through `HTTPFields` (each trimmed of the spaces and tabs
    /// around it, which NIO's parser keeps at the end and `HTTPField` legalises away; repeated fields joined
    /// with ", "); nil when absent. The fast path reads the parsed head with this, so both transports see one value.
    func joinedValues(_ name: String) -> String? {
        let values = self[name]
        guard !values.isEmpty else { return nil }
        return values.map { value in
            let utf8 = value.utf8
            let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) }) else {
                return ""
            }
            return first == utf8.startIndex && last == utf8.index(before: utf8.endIndex) ? value : String(value[first...last])
        }.joined(separator: ", ")
    }
}
