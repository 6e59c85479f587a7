import Foundation
import Hummingbird
import VaultCore

/// `GET /api/voice/{contentHash}/alignment[?format=json|vtt|smil]`: when each character, word and sentence of
/// an asset is spoken, as JSON, as WebVTT cues per sentence, or as an EPUB 3 Media Overlay for the chapter.
/// Public, like the audio and the lookups it sits beside.
struct AlignmentRoutes {
    let voice: VoiceService
    let configuration: ServerConfiguration

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        router.on("/api/voice/:hash/alignment", method: .get, recordingIn: table) { request, context in
            try await answer(request, hash: context.parameters.get("hash") ?? "")
        }
    }

    enum Format: String {
        case json, vtt, smil
    }

    func answer(_ request: Request, hash hashText: String) async throws -> Response {
        let query = request.uri.queryParameters
        let formatText = query.get("format") ?? "json"
        guard let format = Format(rawValue: formatText) else {
            throw APIError(.badRequest, code: "invalid_format", message: "format must be json, vtt or smil, not '\(formatText)'")
        }
        guard let hash = SHA256Digest(hex: hashText) else {
            throw APIError(.badRequest, code: "invalid_content_hash", message: "contentHash must be 64 lowercase hex characters")
        }
        let found = try await voice.recordWithAlignment(for: hash)
        guard let (record, stored) = found else {
            throw APIError(.notFound, code: "not_found", message: "no audio with contentHash \(hash.hex)")
        }
        guard let alignment = stored else {
            throw APIError(
                .notFound, code: "alignment_not_found",
                message: "audio \(hash.hex) was stored without timings (made before VoiceVault kept them)")
        }
        let segments = TimedSegments(alignment)
        var headers = HTTPFields()
        // The timings of an asset never change while it exists, like its bytes.
        headers[.cacheControl] = "public, max-age=86400"
        headers[.xVoiceVaultTimings] = TimingsText.written.rawValue
        switch format {
        case .json:
            return JSONResponse.make(encoding: AlignmentJSON(record: record, alignment: alignment, segments: segments), headers: headers)
        case .vtt:
            // Captions say what is heard: the spoken text where it differs, unless `?follow=written` asks otherwise.
            let asked = try query.get("follow").map { value throws(APIError) -> TimingsText in
                guard let text = TimingsText(rawValue: value) else {
                    throw APIError(
                        .badRequest, code: "invalid_follow", message: "follow must be spoken or written, not '\(value.prefix(40))'")
                }
                return text
            }
            let spoken = asked == .written ? nil : alignment.differingSpoken
            headers[.contentType] = "text/vtt; charset=utf-8"
            headers[.xVoiceVaultTimings] = (spoken == nil ? TimingsText.written : .spoken).rawValue
            let document = WebVTTDocument.render(spoken.map(TimedSegments.init) ?? segments, follows: spoken == nil ? "written" : "spoken")
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: document)))
        case .smil:
            guard
                let book = try query.get("bookId").map({ try StorageIdentifier($0, kind: .bookId) })
                    ?? record.bookIds.first.flatMap({ try? StorageIdentifier($0, kind: .bookId) })
            else { throw APIError(.notFound, code: "not_found", message: "audio \(hash.hex) belongs to no book") }
            let audio =
                try Self.reference(query.get("audio"), name: "audio")
                ?? ((configuration.publicBaseURL ?? "") + "/audio/\(book.value)/\(hash.hex).mp3")
            let text = try Self.reference(query.get("text"), name: "text") ?? "chapter.xhtml"
            headers[.contentType] = "application/smil+xml; charset=utf-8"
            let document = MediaOverlayDocument.render(segments, textReference: text, audioReference: audio)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: document)))
        }
    }
}

/// Which text a timing export follows (`X-VoiceVault-Timings`): the request's written text, or the text as
/// upstream spoke it after normalisation (`normalized_alignment`).
enum TimingsText: String {
    case written, spoken
}

extension AlignmentRoutes {
    static let maximumReferenceBytes = 2048

    /// A reference the caller chose for the SMIL document (`?text=`, `?audio=`), refused when XML cannot hold
    /// it: control characters are not well-formed in XML 1.0 even escaped, so they are refused, not copied.
    static func reference(_ value: String?, name: String) throws -> String? {
        guard let value else { return nil }
        guard value.utf8.count <= maximumReferenceBytes,
            !value.unicodeScalars.contains(where: {
                $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0xFFFE || $0.value == 0xFFFF
            })
        else {
            throw APIError(
                .badRequest, code: "invalid_reference",
                message: "\(name) must be a reference of at most \(maximumReferenceBytes) bytes without control characters")
        }
        return value
    }
}

/// The JSON answer: ElevenLabs' three character arrays (so code written for its `alignment` reads it as is),
/// and the words and sentences made from them.
struct AlignmentJSON: Encodable {
    struct Characters: Encodable {
        let characters: [String]
        let character_start_times_seconds: [Double]
        let character_end_times_seconds: [Double]

        init(_ characters: [SpeechAlignment.Character]) {
            self.characters = characters.map(\.text)
            character_start_times_seconds = characters.map(\.startSeconds)
            character_end_times_seconds = characters.map(\.endSeconds)
        }
    }

    struct Segment: Encodable {
        let text: String
        let start: Double
        let end: Double
        /// Index of the first character in `alignment.characters`, and one past the last.
        let characterStart: Int
        let characterEnd: Int
    }

    let contentHash: String
    let durationSeconds: Double
    let text: String
    let alignment: Characters
    /// The text as spoken and its timings, when upstream sent them (`null` otherwise), as ElevenLabs names them.
    let spokenText: String?
    let normalized_alignment: Characters?
    /// What the WebVTT captions follow: `spoken` when the spoken text differs from the written one, else
    /// `written`. Words, sentences, SMIL, the EPUB and the listen page always follow the written text.
    let captions: String
    /// A dialogue's segments, in ElevenLabs' shape (absent for speech in one voice).
    let voice_segments: [TimestampedAudioJSON.Segment]?
    let words: [Segment]
    let sentences: [Segment]

    init(record: AssetRecord, alignment: SpeechAlignment, segments: TimedSegments) {
        contentHash = record.contentHash
        durationSeconds = record.durationSeconds
        text = alignment.text
        self.alignment = Characters(alignment.characters)
        spokenText = alignment.spokenText
        normalized_alignment = alignment.spoken.map(Characters.init)
        captions = (alignment.differingSpoken == nil ? TimingsText.written : .spoken).rawValue
        voice_segments = alignment.voices.map { $0.map(TimestampedAudioJSON.Segment.init) }
        func segment(_ item: TimedSegments.Segment) -> Segment {
            Segment(
                text: item.text, start: item.startSeconds, end: item.endSeconds,
                characterStart: item.characterRange.lowerBound, characterEnd: item.characterRange.upperBound)
        }
        words = segments.words.map(segment)
        sentences = segments.sentences.map(segment)
    }
}
