import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// `GET /api/books/{bookId}` and its playlist, against a real server: the order rules, renditions grouped,
/// what a later request changes, the key, and bad input.
@Suite struct BookRoutesTests {
    static func manifest(_ bed: VoiceTestbed, _ book: String, key: String? = VoiceTestbed.clientKey) async throws -> HTTPResult {
        try await httpRequest(
            "GET", bed.server.baseURL + "/api/books/\(book)", headers: key.map { ["authorization": "Bearer \($0)"] } ?? [:])
    }

    static func chapterIds(_ result: HTTPResult) -> [String] {
        ((json(result.body)["chapters"] as? [[String: Any]]) ?? []).map { $0["chapterId"] as? String ?? "-" }
    }

    @Test func aBookListsItsChaptersInReadingOrderWithTheirRenditions() async throws {
        let bed = try VoiceTestbed()
        let other = "AZiHN8Ut9O4NYxoqP8gy"
        let requests: [(text: String, voice: String, extra: String)] = [
            ("Chapter ten of the book.", "21m00Tcm4TlvDq8ikWAM", #""chapterId":"ch-10""#),
            ("Chapter two of the book.", "21m00Tcm4TlvDq8ikWAM", #""chapterId":"ch-2""#),
            ("Chapter two of the book.", other, #""chapterId":"ch-2","chapterTitle":"Two""#),
            ("The epilogue comes last.", "21m00Tcm4TlvDq8ikWAM", #""chapterId":"epilogue","chapterIndex":99"#),
            ("The prologue comes first.", "21m00Tcm4TlvDq8ikWAM", #""chapterId":"prologue","chapterIndex":0,"chapterTitle":"Prologue""#),
            ("Audio with no chapter at all.", "21m00Tcm4TlvDq8ikWAM", ""),
        ]
        for request in requests {
            let answer = try await bed.post(
                VoiceTestbed.requestBody(text: request.text, voice: request.voice, book: "novel", extra: request.extra))
            #expect(answer.status == 200, "\(answer.body)")
        }
        let first = try await Self.manifest(bed, "novel")
        #expect(first.status == 200, "\(first.body)")
        #expect(Self.chapterIds(first) == ["prologue", "epilogue", "ch-2", "ch-10", "-"])
        let chapters = try #require(json(first.body)["chapters"] as? [[String: Any]])
        #expect(chapters[0]["title"] as? String == "Prologue" && chapters[0]["chapterIndex"] as? Int == 0)
        let two = try #require(chapters[2]["renditions"] as? [[String: Any]])
        #expect(Set(two.compactMap { $0["voiceId"] as? String }) == ["21m00Tcm4TlvDq8ikWAM", other], "\(two)")
        #expect(chapters[2]["title"] as? String == "Two")
        for rendition in two {
            let url = try #require(rendition["url"] as? String)
            #expect(try await httpRequest("GET", bed.server.baseURL + url).status == 200)
            #expect(rendition["alignment"] as? Bool == true && (rendition["durationSeconds"] as? Double ?? 0) > 0)
        }

        // A later request for the same audio (a hit, plain or not) moves ch-10 to the front.
        let moved = try await bed.post(
            VoiceTestbed.requestBody(text: "Chapter ten of the book.", book: "novel", extra: #""chapterId":"ch-10","chapterIndex":0"#))
        #expect(moved.status == 200 && moved.header("x-cache") == "HIT", "\(moved.body)")
        let second = try await Self.manifest(bed, "novel")
        #expect(Self.chapterIds(second) == ["ch-10", "prologue", "epilogue", "ch-2", "-"], "\(second.body)")
        #expect(try await bed.upstreamCalls() == 6, "six chapters generated once each; the move paid nothing")

        // The playlist, parsed back: one entry per chapter in that voice, durations and URLs as the manifest says.
        let playlist = try await httpRequest("GET", bed.server.baseURL + "/api/books/novel/playlist.m3u8?voice=21m00Tcm4TlvDq8ikWAM")
        #expect(playlist.status == 200 && playlist.header("content-type")?.hasPrefix("audio/mpegurl") == true)
        let lines = playlist.body.split(separator: "\n").map(String.init)
        #expect(lines.first == "#EXTM3U")
        let entries = stride(from: 1, to: lines.count - 1, by: 2).map { (info: lines[$0], url: lines[$0 + 1]) }
        #expect(entries.count == 5 && entries.allSatisfy { $0.info.hasPrefix("#EXTINF:") })
        let secondChapters = try #require(json(second.body)["chapters"] as? [[String: Any]])
        for (entry, chapter) in zip(entries, secondChapters) {
            let rendition = try #require(
                (chapter["renditions"] as? [[String: Any]])?.first { $0["voiceId"] as? String == "21m00Tcm4TlvDq8ikWAM" })
            #expect(entry.url == rendition["url"] as? String)
            let seconds = Double(entry.info.dropFirst("#EXTINF:".count).prefix { $0 != "," }) ?? -1
            #expect(abs(seconds - (rendition["durationSeconds"] as? Double ?? 0)) < 0.001)
            let title = chapter["title"] as? String ?? chapter["chapterId"] as? String
            if let title { #expect(entry.info.hasSuffix("," + title), "\(entry.info)") }
        }
        let onlyOther = try await httpRequest("GET", bed.server.baseURL + "/api/books/novel/playlist.m3u8?voice=\(other)")
        #expect(onlyOther.body.components(separatedBy: "#EXTINF:").count == 2, "\(onlyOther.body)")
        #expect(try await httpRequest("GET", bed.server.baseURL + "/api/books/novel/playlist.m3u8?voice=nobody").status == 404)
    }

    @Test func theManifestNeedsAKeyAndBadInputIsRefusedWithItsCode() async throws {
        let bed = try VoiceTestbed()
        #expect(try await bed.post(VoiceTestbed.requestBody(book: "shelf")).status == 200)
        #expect(try await Self.manifest(bed, "shelf", key: nil).status == 401)
        #expect(try await Self.manifest(bed, "shelf", key: "wrong").status == 401)
        let unknown = try await Self.manifest(bed, "no-such-book")
        #expect(unknown.status == 404 && json(unknown.body)["error"] as? String == "not_found", "\(unknown.body)")
        let bad = try await Self.manifest(bed, "bad%20book")
        #expect(bad.status == 400 && json(bad.body)["error"] as? String == "invalid_book_id", "\(bad.body)")
        for (extra, code) in [
            (#""chapterIndex":-1"#, "invalid_chapter_index"), (#""chapterIndex":1000000"#, "invalid_chapter_index"),
            (#""chapterIndex":"one""#, "invalid_field"),
            (#""chapterTitle":"\#(String(repeating: "t", count: 301))""#, "invalid_chapter_title"),
            (#""chapterTitle":"two\nlines""#, "invalid_chapter_title"),
        ] {
            let refused = try await bed.post(VoiceTestbed.requestBody(book: "shelf", extra: extra))
            #expect(refused.status == 400 && json(refused.body)["error"] as? String == code, "\(extra): \(refused.body)")
        }
        let filter = try await httpRequest(
            "GET", bed.server.baseURL + "/api/books/shelf/playlist.m3u8?voice=" + String(repeating: "v", count: 129))
        #expect(filter.status == 400 && json(filter.body)["error"] as? String == "invalid_voice")
    }
}

/// Positions in a book against a real server: text, not time, so a change of voice resumes at the same word.
@Suite struct BookPositionTests {
    static let other = "AZiHN8Ut9O4NYxoqP8gy"
    static let text = "It was a dark night, and the rain fell in torrents over the sleeping town below."

    static func call(
        _ bed: VoiceTestbed, _ method: String, _ query: String = "", body: String? = nil, key: String? = VoiceTestbed.clientKey
    )
        async throws -> HTTPResult
    {
        var headers = ["content-type": "application/json"]
        if let key { headers["authorization"] = "Bearer \(key)" }
        return try await httpRequest(method, bed.server.baseURL + "/api/books/novel/position" + query, headers: headers, body: body)
    }

    /// The rendition's character start times, from its alignment route.
    static func starts(_ bed: VoiceTestbed, _ hash: String) async throws -> [Double] {
        let alignment = json(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment").body)
        return (alignment["alignment"] as? [String: Any])?["character_start_times_seconds"] as? [Double] ?? []
    }

    @Test func aPositionIsTextAndResumesAtTheSameWordInAnotherVoice() async throws {
        let bed = try VoiceTestbed()
        for voice in ["21m00Tcm4TlvDq8ikWAM", Self.other] {
            let made = try await bed.post(
                VoiceTestbed.requestBody(
                    text: Self.text, voice: voice, book: "novel",
                    extra: #""chapterId":"ch-1","voiceSettings":{"speed":\#(voice == Self.other ? 1.2 : 1.0)}"#))
            #expect(made.status == 200, "\(made.body)")
        }
        let saved = try await Self.call(bed, "PUT", body: #"{"listener":"reader-1","chapterId":"ch-1","char":31,"at":1000}"#)
        #expect(saved.status == 200 && json(saved.body)["saved"] as? Bool == true, "\(saved.body)")
        // "rain" starts at character 29: character 31 is in it; each voice answers that word's start.
        var hashes: [String: String] = [:]
        for voice in ["21m00Tcm4TlvDq8ikWAM", Self.other] {
            let answer = json(try await Self.call(bed, "GET", "?listener=reader-1&voice=\(voice)").body)
            #expect(answer["chapterId"] as? String == "ch-1" && answer["char"] as? Int == 31, "\(answer)")
            let hash = try #require(answer["contentHash"] as? String)
            hashes[voice] = hash
            let starts = try await Self.starts(bed, hash)
            #expect(starts.count == Self.text.unicodeScalars.count)
            #expect(abs((answer["seconds"] as? Double ?? -1) - starts[29]) < 0.0015, "\(answer) vs \(starts[29])")
        }
        #expect(hashes.values.count == 2 && Set(hashes.values).count == 2)
        // A time in the other voice, in the middle of "torrents" (characters 42...49), is stored as that word.
        let otherStarts = try await Self.starts(bed, try #require(hashes[Self.other]))
        let middle = (otherStarts[45] + otherStarts[46]) / 2
        let fromTime = try await Self.call(
            bed, "POST", body: #"{"listener":"reader-1","contentHash":"\#(hashes[Self.other] ?? "")","seconds":\#(middle),"at":2000}"#)
        #expect(fromTime.status == 200 && json(fromTime.body)["char"] as? Int == 42, "\(fromTime.body)")
        let back = json(try await Self.call(bed, "GET", "?listener=reader-1&voice=21m00Tcm4TlvDq8ikWAM").body)
        let firstStarts = try await Self.starts(bed, try #require(hashes["21m00Tcm4TlvDq8ikWAM"]))
        #expect(abs((back["seconds"] as? Double ?? -1) - firstStarts[42]) < 0.0015, "\(back)")
        // An older write loses and is told what stays.
        let stale = try await Self.call(bed, "PUT", body: #"{"listener":"reader-1","chapterId":"ch-1","char":3,"at":1500}"#)
        #expect(json(stale.body)["saved"] as? Bool == false && json(stale.body)["char"] as? Int == 42, "\(stale.body)")
    }

    @Test func badPositionsAreRefusedWithTheirCodes() async throws {
        let bed = try VoiceTestbed()
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "Short.", book: "novel", extra: #""chapterId":"ch-1""#)).status == 200)
        let cases: [(String, String, Int, String)] = [
            ("PUT", #"{"listener":"r","chapterId":"ch-9","char":1}"#, 400, "unknown_chapter"),
            ("PUT", #"{"listener":"r","chapterId":"ch-1","char":7}"#, 400, "char_past_end"),
            ("PUT", #"{"listener":"r","chapterId":"ch-1","char":-1}"#, 400, "invalid_char"),
            ("PUT", #"{"listener":"\#(String(repeating: "x", count: 257))","chapterId":"ch-1","char":1}"#, 400, "invalid_listener"),
            ("PUT", #"{"listener":"","chapterId":"ch-1","char":1}"#, 400, "invalid_listener"),
            ("PUT", #"{"chapterId":"ch-1","char":1}"#, 400, "missing_field"),
            ("PUT", #"{"listener":"r","chapterId":"ch-1","char":1,"at":-5}"#, 400, "invalid_at"),
            ("PUT", #"[1,2]"#, 400, "invalid_json"),
            ("POST", #"{"listener":"r","contentHash":"\#(String(repeating: "0", count: 64))","seconds":1}"#, 400, "unknown_content_hash"),
            ("POST", #"{"listener":"r","contentHash":"\#(try VoiceTestbed.hash(text: "Short."))","seconds":-1}"#, 400, "invalid_seconds"),
        ]
        for (method, body, status, code) in cases {
            let answer = try await Self.call(bed, method, body: body)
            #expect(answer.status == status && json(answer.body)["error"] as? String == code, "\(body): \(answer.body)")
        }
        #expect(try await Self.call(bed, "PUT", body: #"{"listener":"r","chapterId":"ch-1","char":6}"#).status == 200, "the end is allowed")
        #expect(try await Self.call(bed, "GET", "?listener=r", key: nil).status == 401)
        let missing = try await Self.call(bed, "GET", "?listener=nobody")
        #expect(missing.status == 404 && json(missing.body)["error"] as? String == "position_not_found")
        let noVoice = try await Self.call(bed, "GET", "?listener=r&voice=nobody")
        #expect(noVoice.status == 404 && json(noVoice.body)["error"] as? String == "rendition_not_found")
        // Another key does not see this key's listener.
        #expect(try await Self.call(bed, "GET", "?listener=r", key: "other-key").status == 404)
    }
}

/// The read-aloud EPUB of a live book: streamed with its length, valid for epubcheck, each chapter's overlay
/// clips exactly the stored sentences' times, its audio the chapter's bytes.
@Suite struct ReadAloudRouteTests {
    @Test func aBookBecomesAValidReadAloudEPUB() async throws {
        let bed = try VoiceTestbed()
        let chapters = [
            ("ch-1", "It was a dark night. The rain fell in torrents!"), ("ch-2", "Morning came at last. The town woke slowly."),
        ]
        var hashes: [String] = []
        for (index, (chapter, text)) in chapters.enumerated() {
            let made = try await bed.post(
                VoiceTestbed.requestBody(
                    text: text, book: "novel", extra: #""chapterId":"\#(chapter)","chapterTitle":"Part \#(index + 1)""#))
            #expect(made.status == 200)
            hashes.append(try VoiceTestbed.hash(text: text))
        }
        // The book's cover: `novel.png` in the Storage bucket `covers` (a 1x1 PNG).
        let png = try #require(
            Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="))
        let auth = ["authorization": "Bearer \(VoiceTestbed.clientKey)"]
        #expect(
            try await httpRequest(
                "POST", bed.server.baseURL + "/storage/v1/bucket", headers: auth.merging(["content-type": "application/json"]) { $1 },
                body: #"{"id":"covers","public":false}"#
            ).status == 200)
        let uploaded = try await httpRequest(
            "POST", bed.server.baseURL + "/storage/v1/object/covers/novel.png", headers: auth.merging(["content-type": "image/png"]) { $1 },
            bytes: Array(png))
        #expect(uploaded.status == 200, "\(uploaded.body)")
        let epub = try await httpRequest("GET", bed.server.baseURL + "/api/books/novel/readaloud.epub?voice=21m00Tcm4TlvDq8ikWAM")
        #expect(epub.status == 200 && epub.header("content-type") == "application/epub+zip", "\(epub.body.prefix(300))")
        #expect(epub.header("content-length") == String(epub.bytes.count))
        let directory = TemporaryDirectory("vv-readaloud")
        let path = directory.sub("novel.epub")
        try Data(epub.bytes).write(to: URL(fileURLWithPath: path))
        let check = try runToCompletion("/usr/bin/java", ["-jar", "/usr/bin/epubcheck", path])
        #expect(check.status == 0 && !check.output.contains("ERROR"), "\(check.output)")
        // Each overlay's clips, read back with Python, are the alignment route's sentence times; each audio
        // entry is the chapter's bytes.
        let extract = try runToCompletion(
            "/usr/bin/python3",
            [
                "-c",
                """
                import re, sys, zipfile, hashlib
                z = zipfile.ZipFile(sys.argv[1])
                for n in (1, 2):
                    smil = z.read(f"OEBPS/chapter-{n}.smil").decode()
                    clips = re.findall(r'clipBegin="([0-9.]+)s" clipEnd="([0-9.]+)s"', smil)
                    print(n, ",".join(f"{b}-{e}" for b, e in clips), hashlib.sha256(z.read(f"OEBPS/audio/chapter-{n}.mp3")).hexdigest())
                opf = z.read("OEBPS/content.opf").decode()
                assert 'properties="cover-image"' in opf and "images/cover.png" in opf, opf
                print("cover", hashlib.sha256(z.read("OEBPS/images/cover.png")).hexdigest())
                """, path,
            ])
        #expect(extract.status == 0, "\(extract.output)")
        var lines = extract.output.split(separator: "\n").map(String.init)
        #expect(lines.last == "cover \(SHA256Digest.of(Array(png)).hex)", "\(lines)")
        lines.removeLast()
        for (index, hash) in hashes.enumerated() {
            let alignment = json(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)/alignment").body)
            let sentences = try #require(alignment["sentences"] as? [[String: Any]])
            let expected = sentences.map {
                String(format: "%.3f-%.3f", $0["start"] as? Double ?? -1, $0["end"] as? Double ?? -1)
            }.joined(separator: ",")
            let record = json(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)").body)
            #expect(lines.count == 2 && lines[index] == "\(index + 1) \(expected) \(record["sha256"] as? String ?? "")", "\(lines)")
        }
        #expect(try await httpRequest("GET", bed.server.baseURL + "/api/books/novel/readaloud.epub?voice=nobody").status == 404)
        #expect(try await httpRequest("GET", bed.server.baseURL + "/api/books/unknown/readaloud.epub").status == 404)
    }
}

/// Player links: a client key makes a link, and the link alone reads the book and keeps one listener's place.
@Suite struct PlayerLinkTests {
    @Test func aPlayerLinkReadsTheBookAndKeepsItsListenersPlaceWithoutAKey() async throws {
        let bed = try VoiceTestbed()
        #expect(
            try await bed.post(VoiceTestbed.requestBody(text: "A chapter to resume.", book: "novel", extra: #""chapterId":"ch-1""#)).status
                == 200)
        let key = ["authorization": "Bearer \(VoiceTestbed.clientKey)", "content-type": "application/json"]
        let made = try await httpRequest(
            "POST", bed.server.baseURL + "/api/books/novel/player-link", headers: key, body: #"{"listener":"user-42","expiresIn":600}"#)
        #expect(made.status == 200, "\(made.body)")
        let token = try #require(json(made.body)["token"] as? String)
        #expect(json(made.body)["url"] as? String == "/listen/novel?token=\(token)")
        let base = bed.server.baseURL + "/api/books/novel/player"
        let manifest = try await httpRequest("GET", base + "/manifest?token=\(token)")
        #expect(manifest.status == 200 && (json(manifest.body)["chapters"] as? [Any])?.count == 1, "\(manifest.body)")
        let saved = try await httpRequest(
            "PUT", base + "/position?token=\(token)", headers: ["content-type": "application/json"], body: #"{"chapterId":"ch-1","char":4}"#
        )
        #expect(saved.status == 200 && json(saved.body)["listener"] as? String == "user-42", "\(saved.body)")
        let read = json(try await httpRequest("GET", base + "/position?token=\(token)&voice=21m00Tcm4TlvDq8ikWAM").body)
        #expect(read["char"] as? Int == 4 && read["seconds"] != nil, "\(read)")
        // The same place through the key that issued the link; another key sees nothing.
        let byKey = try await httpRequest("GET", bed.server.baseURL + "/api/books/novel/position?listener=user-42", headers: key)
        #expect(json(byKey.body)["char"] as? Int == 4)
        let otherKey = try await httpRequest(
            "GET", bed.server.baseURL + "/api/books/novel/position?listener=user-42", headers: ["authorization": "Bearer other-key"])
        #expect(otherKey.status == 404)
        // Refused: a tampered token, another book's, none, and a link without a key or with a bad lifetime.
        let tampered = String(token.dropLast(2)) + (token.hasSuffix("AA") ? "BB" : "AA")
        let bad = try await httpRequest("GET", base + "/manifest?token=\(tampered)")
        #expect(bad.status == 401 && json(bad.body)["error"] as? String == "invalid_token", "\(bad.body)")
        #expect(try await httpRequest("GET", bed.server.baseURL + "/api/books/other/player/manifest?token=\(token)").status == 401)
        #expect(try await httpRequest("GET", base + "/manifest").status == 400)
        #expect(
            try await httpRequest("POST", bed.server.baseURL + "/api/books/novel/player-link", body: #"{"listener":"x"}"#).status == 401)
        let lifetime = try await httpRequest(
            "POST", bed.server.baseURL + "/api/books/novel/player-link", headers: key, body: #"{"listener":"x","expiresIn":5}"#)
        #expect(lifetime.status == 400 && json(lifetime.body)["error"] as? String == "invalid_expires_in")
    }
}
