import VaultCore

/// `GET /api/books/{bookId}`'s answer.
struct BookJSON: Encodable {
    struct Chapter: Encodable {
        let chapterId: String?
        let chapterIndex: Int?
        let title: String?
        let renditions: [Rendition]
    }

    struct Rendition: Encodable {
        let voiceId: String
        let modelId: String
        let format: String
        let contentHash: String
        let url: String
        let durationSeconds: Double
        let alignment: Bool
        let createdAt: String
    }

    let bookId: String
    let chapters: [Chapter]
    let playlist: String

    init(_ manifest: BookManifest, baseURL: String?) {
        bookId = manifest.bookId
        playlist = (baseURL ?? "") + "/api/books/\(manifest.bookId)/playlist.m3u8"
        chapters = manifest.chapters.map { chapter in
            Chapter(
                chapterId: chapter.chapterId, chapterIndex: chapter.chapterIndex, title: chapter.title,
                renditions: chapter.renditions.map {
                    Rendition(
                        voiceId: $0.voiceId, modelId: $0.modelId, format: $0.outputFormat, contentHash: $0.contentHash,
                        url: (baseURL ?? "") + VoiceResponseBody.audioPath(book: manifest.bookId, hash: $0.contentHash),
                        durationSeconds: $0.durationSeconds, alignment: $0.hasAlignment,
                        createdAt: ISO8601Timestamp.format(secondsSince1970: $0.createdAt))
                })
        }
    }
}
