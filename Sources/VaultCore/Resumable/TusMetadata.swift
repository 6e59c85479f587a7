import Foundation

/// TUS `Upload-Metadata`: comma-separated pairs `key base64(value)` (a key alone means an empty value), as
/// Supabase's resumable endpoint reads them: `bucketName` and `objectName` (required), `contentType`,
/// `cacheControl`, `metadata` (a JSON object as text). Parsed as bytes in one pass; keys are ASCII without
/// spaces or commas and appear once; values must be valid base64 of UTF-8.
public struct TusMetadata: Sendable, Equatable {
    public let values: [String: String]

    public struct Problem: Error, Equatable, Sendable {
        public let message: String
    }

    /// Longest header this accepts; a client's metadata is a few names, not a payload.
    public static let maximumBytes = 16 * 1024
    public static let maximumPairs = 32

    public init(values: [String: String]) {
        self.values = values
    }

    public init(header: String) throws(Problem) {
        guard header.utf8.count <= Self.maximumBytes else {
            throw Problem(message: "Upload-Metadata is longer than \(Self.maximumBytes) bytes")
        }
        var values: [String: String] = [:]
        for pair in header.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let trimmed = FieldBytes.trimmed(pair)
            guard !trimmed.isEmpty else { throw Problem(message: "Upload-Metadata has an empty pair") }
            let parts = trimmed.split(separator: UInt8(ascii: " "), maxSplits: 1, omittingEmptySubsequences: true)
            let keyBytes = parts[0]
            guard keyBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw Problem(message: "Upload-Metadata keys must be printable ASCII")
            }
            let key = String(decoding: keyBytes, as: UTF8.self)
            var value = ""
            if parts.count == 2 {
                let encoded = FieldBytes.trimmed(parts[1])
                guard let data = Data(base64Encoded: Data(encoded)), let text = String(data: data, encoding: .utf8) else {
                    throw Problem(message: "Upload-Metadata value of '\(key)' is not base64 of UTF-8 text")
                }
                value = text
            }
            guard values.updateValue(value, forKey: key) == nil else { throw Problem(message: "Upload-Metadata names '\(key)' twice") }
            guard values.count <= Self.maximumPairs else {
                throw Problem(message: "Upload-Metadata has more than \(Self.maximumPairs) pairs")
            }
        }
        self.values = values
    }

    public var bucketName: String? { values["bucketName"].flatMap { $0.isEmpty ? nil : $0 } }
    public var objectName: String? { values["objectName"].flatMap { $0.isEmpty ? nil : $0 } }
    public var contentType: String { values["contentType"].flatMap { $0.isEmpty ? nil : $0 } ?? "application/octet-stream" }

    /// Upstream's rule: a number of seconds becomes `max-age=N`; anything else (or nothing) `no-cache`.
    public var cacheControl: String {
        guard let text = values["cacheControl"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
            text.utf8.count <= 12, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return "no-cache" }
        return "max-age=\(text)"
    }

    /// The user metadata, when given: it must be a JSON object.
    public func userMetadata() throws(Problem) -> String? {
        guard let text = values["metadata"], !text.isEmpty else { return nil }
        guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] else {
            throw Problem(message: "Upload-Metadata 'metadata' must be a JSON object")
        }
        return text
    }

    /// The header form of these values (for `HEAD` answers and tests), keys in order.
    public var header: String {
        values.keys.sorted().map { key in
            let value = values[key] ?? ""
            return value.isEmpty ? key : key + " " + Data(value.utf8).base64EncodedString()
        }.joined(separator: ",")
    }
}
