import NIOHTTP1

extension HTTPHeaders {
    /// A field's values as the router reads them through `HTTPFields` (repeated fields joined with ", "); nil
    /// when absent. The fast path reads the parsed head with this, so both transports see one value.
    func joinedValues(_ name: String) -> String? {
        let values = self[name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }
}
