import Foundation
import NIOCore
import VaultCore

/// Where a book's cover lives (decided in Docs/API.md, "Books"): the Storage object `<bookId>.jpg` (or `.jpeg`,
/// `.png`, `.webp`, tried in that order) in the bucket `covers`, uploaded as any object is (storage3, TUS, S3).
/// The read-aloud EPUB carries it as its cover image. Covers over `maximumBytes` are left out, so an EPUB's
/// memory stays bounded.
struct BookCovers: Sendable {
    static let bucket = "covers"
    static let maximumBytes = 8 << 20
    static let kinds: [(extension: String, mediaType: String)] = [
        ("jpg", "image/jpeg"), ("jpeg", "image/jpeg"), ("png", "image/png"), ("webp", "image/webp"),
    ]

    let source: any StorageObjectSource

    struct Cover: Sendable {
        let fileExtension: String
        let mediaType: String
        let bytes: [UInt8]
    }

    /// The book's cover, nil when it has none (or one too large, or whose bytes are not held anywhere).
    func cover(of bookId: String) async throws -> Cover? {
        for kind in Self.kinds {
            guard let record = try await source.object(key: bookId + "." + kind.extension), record.size <= Self.maximumBytes,
                try await source.prepare(record), let held = try source.bytes(of: record)
            else { continue }
            let bytes: [UInt8]
            switch held {
            case let .memory(buffer): bytes = Array(buffer.readableBytesView)
            case let .file(file):
                let size = Int(file.size)
                bytes = try await BlockingIO.run { Array(try file.read(offset: 0, count: size).readableBytesView) }
            }
            guard bytes.count == record.size else { continue }
            return Cover(fileExtension: kind.extension, mediaType: kind.mediaType, bytes: bytes)
        }
        return nil
    }
}
