import Foundation
import Hummingbird
import VaultCore

/// `GET /api/books/{bookId}/readaloud.epub[?voice=&model=&format=]`: the book as an EPUB 3 with Media Overlays
/// (`ReadAloudEPUB`), public as the downloads it holds are. Streamed with its `Content-Length`: every header
/// is known once each chapter's audio has been read for its CRC-32, and the audio is then sent from the files in
/// 64 KiB reads off the cooperative pool; nothing is staged. One rendition per chapter, chosen as the playlist
/// chooses (`BookManifest.playlist`).
struct ReadAloudRoute {
    let books: BookRoutes

    static let chunkSize = 65_536

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        router.on("/api/books/:book/readaloud.epub", method: .get, recordingIn: table) { request, context in
            let manifest = try await books.manifest(context)
            let query = request.uri.queryParameters
            let chosen = manifest.playlist(voiceId: query.get("voice"), modelId: query.get("model"), outputFormat: query.get("format"))
            guard !chosen.isEmpty else {
                throw APIError(
                    .notFound, code: "not_found", message: "book \(manifest.bookId) has no chapter in that voice, model and format")
            }
            let book = try StorageIdentifier(manifest.bookId, kind: .bookId)
            var chapters: [ReadAloudEPUB.Chapter] = []
            var files: [String] = []
            for (number, (chapter, rendition)) in chosen.enumerated() {
                guard let hash = SHA256Digest(hex: rendition.contentHash),
                    let found = try await books.voice.recordWithAlignment(for: hash, inBook: book.value)
                else {
                    throw APIError(
                        .serviceUnavailable, code: "asset_vanished", message: "a chapter was deleted while the book was read; try again")
                }
                let path = books.voice.store.directory.audioFile(book: book, hash: hash, format: found.record.outputFormat)
                let (size, crc) = try await Self.sizeAndCRC(path)
                let segments = found.alignment.flatMap { $0.characters.isEmpty ? nil : TimedSegments($0) }
                chapters.append(
                    .init(
                        title: chapter.title ?? chapter.chapterId ?? "Chapter \(number + 1)", segments: segments, audioSize: size,
                        audioCRC32: crc))
                files.append(path)
            }
            let cover = try await books.covers?.cover(of: manifest.bookId).map {
                ReadAloudEPUB.Cover(fileExtension: $0.fileExtension, mediaType: $0.mediaType, bytes: $0.bytes)
            }
            let identity = SHA256Digest.of(
                manifest.bookId + "\n" + chosen.map(\.rendition.contentHash).joined(separator: "\n") + "\n"
                    + (cover.map { SHA256Digest.of($0.bytes).hex } ?? ""))
            let epub: ReadAloudEPUB
            do {
                epub = try ReadAloudEPUB(
                    title: manifest.bookId, identifier: "urn:voicevault:readaloud:\(identity.hex)", chapters: chapters, cover: cover,
                    modifiedAt: chosen.map(\.rendition.createdAt).max() ?? 0)
            } catch {
                throw APIError(.contentTooLarge, code: "epub_too_large", message: "the book's EPUB would be 4 GiB or more")
            }
            var headers = HTTPFields()
            headers[.contentType] = ReadAloudEPUB.mediaType
            headers[.contentDisposition] = "attachment; filename=\"\(manifest.bookId).epub\""
            headers[.cacheControl] = "no-cache"
            headers[.eTag] = "\"\(identity.hex)\""
            return Response(status: .ok, headers: headers, body: Self.body(epub, files: files))
        }
    }

    /// A file's size and CRC-32, read in chunks off the cooperative pool; 503 when it is gone.
    static func sizeAndCRC(_ path: String) async throws -> (Int, UInt32) {
        try await BlockingIO.run {
            guard let file = OpenFile(path: path) else {
                throw APIError(
                    .serviceUnavailable, code: "asset_vanished", message: "a chapter was deleted while the book was read; try again")
            }
            var crc = CRC32(.ieee)
            var offset: UInt64 = 0
            while offset < file.size {
                let chunk = try file.read(offset: offset, count: Int(min(UInt64(chunkSize), file.size - offset)))
                guard chunk.readableBytes > 0 else { break }
                chunk.withUnsafeReadableBytes { crc.update($0) }
                offset += UInt64(chunk.readableBytes)
            }
            return (Int(file.size), crc.checksum)
        }
    }

    /// The archive: each entry's header, then its bytes; the central directory last. A chapter's file that
    /// is gone or changed size by now cuts the stream short (the client sees fewer bytes than announced).
    static func body(_ epub: ReadAloudEPUB, files: [String]) -> ResponseBody {
        ResponseBody(contentLength: epub.archive.length) { writer in
            for (index, part) in epub.parts.enumerated() {
                try await writer.write(ByteBuffer(bytes: epub.archive.localHeader(index)))
                switch part {
                case let .bytes(bytes):
                    try await writer.write(ByteBuffer(bytes: bytes))
                case let .audio(chapter):
                    let path = files[chapter]
                    let expected = UInt64(epub.archive.entries[index].size)
                    guard let file = try await BlockingIO.run({ OpenFile(path: path) }), file.size == expected else {
                        throw APIError(
                            .serviceUnavailable, code: "asset_vanished", message: "a chapter was deleted while the book was sent")
                    }
                    var offset: UInt64 = 0
                    while offset < expected {
                        let at = offset
                        let chunk = try await BlockingIO.run {
                            try file.read(offset: at, count: Int(min(UInt64(chunkSize), expected - at)))
                        }
                        guard chunk.readableBytes > 0 else {
                            throw APIError(.serviceUnavailable, code: "asset_vanished", message: "short read")
                        }
                        offset += UInt64(chunk.readableBytes)
                        try await writer.write(chunk)
                    }
                }
            }
            try await writer.write(ByteBuffer(bytes: epub.archive.centralDirectory))
            try await writer.finish(nil)
        }
    }
}
