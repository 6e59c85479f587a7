import Foundation
import VaultCore

/// Reads the admin API's query parameters and JSON fields into core values, refusing malformed ones with a
/// stable code. Pure, so each rule has a test.
enum AdminQuery {
    static func hash(_ text: String) throws(APIError) -> SHA256Digest {
        guard let hash = SHA256Digest(hex: text) else {
            throw APIError(.badRequest, code: "invalid_content_hash", message: "contentHash must be 64 lowercase hex characters")
        }
        return hash
    }

    static func book(_ text: String) throws(APIError) -> StorageIdentifier {
        do { return try StorageIdentifier(text, kind: .bookId) } catch {
            throw APIError(
                .badRequest, code: "invalid_book_id", message: "bookId \(text.prefix(80).debugDescription) is not a valid book id")
        }
    }

    /// A time as seconds since 1970, or ISO 8601 (`2026-11-29`, `2026-11-29T12:00:00Z`).
    static func time(_ text: String, name: String) throws(APIError) -> Double {
        let invalid = APIError(.badRequest, code: "invalid_time", message: "\(name) must be seconds since 1970 or an ISO 8601 date or time")
        guard text.utf8.count <= 40 else { throw invalid }
        if let seconds = Double(text), seconds.isFinite { return seconds }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date.timeIntervalSince1970 }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date.timeIntervalSince1970 }
        throw invalid
    }

    /// A boolean query flag: absent or `false` is false, `true` (or the bare name, `?dryRun`) is true.
    static func flag(_ text: String?, name: String) throws(APIError) -> Bool {
        switch text {
        case nil, "false": return false
        case "", "true": return true
        default: throw APIError(.badRequest, code: "invalid_\(name)", message: "\(name) must be true or false")
        }
    }

    /// A page size: `fallback` when absent, 1...`maximum` otherwise.
    static func limit(_ text: String?, fallback: Int, maximum: Int) throws(APIError) -> Int {
        guard let text else { return fallback }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw APIError(.badRequest, code: "invalid_limit", message: "limit must be an integer from 1 to \(maximum)")
        }
        return value
    }

    /// A text filter (voice or model id): bounded, so a query cannot be made expensive to compare.
    static func identifier(_ text: String?, name: String) throws(APIError) -> String? {
        guard let text else { return nil }
        guard !text.isEmpty, text.utf8.count <= 128 else {
            throw APIError(.badRequest, code: "invalid_filter", message: "\(name) must be 1-128 bytes")
        }
        return text
    }

    static func filter(bookId: String?, voiceId: String?, model: String?, createdBefore: String?, createdAfter: String?)
        throws(APIError) -> AssetFilter
    {
        var filter = AssetFilter()
        if let bookId { filter.bookId = try book(bookId) }
        filter.voiceId = try identifier(voiceId, name: "voiceId")
        filter.modelId = try identifier(model, name: "model")
        if let createdBefore { filter.createdBefore = try time(createdBefore, name: "createdBefore") }
        if let createdAfter { filter.createdAfter = try time(createdAfter, name: "createdAfter") }
        return filter
    }
}
