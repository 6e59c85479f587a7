import Foundation
import NIOCore
import VaultCore

/// What `POST /api/voice` answers, and (with the record's extra fields) `GET /api/voice/<hash>`.
struct VoiceResponseBody: Encodable {
    let contentHash: String
    let url: String
    let cached: Bool?
    let bytes: Int
    let durationSec: Double
    let wordCount: Int
    let characterCount: Int
    let characterCost: Int?
    let createdAt: String
    // Record view only.
    let urls: [String]?
    let bookIds: [String]?
    let voiceId: String?
    let model: String?
    let format: String?
    let sha256: String?
    let upstreamRequestId: String?
    let upstreamHistoryItemId: String?
    /// `generated` or `imported` (no timings: `…/alignment` answers 404).
    let origin: String?

    static func audioPath(book: String, hash: String) -> String { "/audio/\(book)/\(hash).mp3" }

    static func generated(_ record: AssetRecord, book: String, cached: Bool, baseURL: String?) -> VoiceResponseBody {
        VoiceResponseBody(
            contentHash: record.contentHash, url: (baseURL ?? "") + audioPath(book: book, hash: record.contentHash),
            cached: cached, bytes: record.byteSize, durationSec: rounded(record.durationSeconds),
            wordCount: record.wordCount, characterCount: record.characterCount, characterCost: record.characterCost,
            createdAt: iso8601(record.createdAt), urls: nil, bookIds: nil, voiceId: nil, model: nil, format: nil,
            sha256: nil, upstreamRequestId: nil, upstreamHistoryItemId: nil, origin: nil)
    }

    static func record(_ record: AssetRecord, baseURL: String?) -> VoiceResponseBody {
        let urls = record.bookIds.map { (baseURL ?? "") + audioPath(book: $0, hash: record.contentHash) }
        return VoiceResponseBody(
            contentHash: record.contentHash, url: urls.first ?? "", cached: nil, bytes: record.byteSize,
            durationSec: rounded(record.durationSeconds), wordCount: record.wordCount,
            characterCount: record.characterCount, characterCost: record.characterCost,
            createdAt: iso8601(record.createdAt), urls: urls, bookIds: record.bookIds, voiceId: record.voiceId,
            model: record.modelId, format: record.outputFormat, sha256: record.sha256,
            upstreamRequestId: record.upstreamRequestId, upstreamHistoryItemId: record.upstreamHistoryItemId,
            origin: record.origin.rawValue)
    }

    /// Milliseconds are all a player can use; more digits are noise.
    static func rounded(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }

    static func iso8601(_ seconds: Double) -> String {
        ISO8601Timestamp.format(secondsSince1970: seconds)
    }

    /// The JSON answer, keys sorted. Written by hand because it is sent on every hit (see `JSONObjectWriter`);
    /// the tests check it against `JSONEncoder`'s output for this type, which stays `Encodable` for that.
    func encoded() -> ByteBuffer {
        var writer = JSONObjectWriter()
        writer.field("bookIds", bookIds)
        writer.field("bytes", bytes)
        writer.field("cached", cached)
        writer.field("characterCost", characterCost)
        writer.field("characterCount", characterCount)
        writer.field("contentHash", contentHash)
        writer.field("createdAt", createdAt)
        writer.field("durationSec", durationSec)
        writer.field("format", format)
        writer.field("model", model)
        writer.field("origin", origin)
        writer.field("sha256", sha256)
        writer.field("upstreamHistoryItemId", upstreamHistoryItemId)
        writer.field("upstreamRequestId", upstreamRequestId)
        writer.field("url", url)
        writer.field("urls", urls)
        writer.field("voiceId", voiceId)
        writer.field("wordCount", wordCount)
        return writer.finish()
    }
}
