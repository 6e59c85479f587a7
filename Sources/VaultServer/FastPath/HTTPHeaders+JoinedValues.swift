import NIOHTTP1
import VaultCore

extension HTTPHeaders {
    /// A field's values as the router reads them through `HTTPFields` (each trimmed of the spaces and tabs
    /// around it, which NIO's parser keeps at the end and `HTTPField` legalises away; repeated fields joined
    /// with ", "); nil when absent. The fast path reads the parsed head with this, so both transports see one value.
    func joinedValues(_ name: String) -> String? {
        let values = self[name]
        guard !values.isEmpty else { return nil }
        return values.map { value in
            let trimmed = FieldBytes.trimmed(value.utf8)
            return trimmed.count == value.utf8.count ? value : String(Substring(trimmed))
        }.joined(separator: ", ")
    }
}
