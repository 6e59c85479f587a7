/// A book as an EPUB 3 that reads itself aloud (`GET /api/books/{bookId}/readaloud.epub`): each chapter's text
/// as XHTML with an id per sentence, its MP3, and a Media Overlay (`MediaOverlayDocument`) pairing each
/// sentence with its clip, `media:duration` for each overlay and the whole, a navigation document in reading
/// order. Reading systems with overlay support (Thorium, Readest, Apple Books) play it with the sentence
/// highlighted.
///
/// Pure: the documents are made here, and the archive's layout (`StoredZipArchive`) is known before a byte is
/// sent, so the server streams it with its length, the audio straight from the files. A chapter without
/// timings is included as audio only, with a note saying so, and without an overlay.
public struct ReadAloudEPUB: Sendable {
    /// One chapter: its title, its timings (nil: audio only) and its audio file's size and CRC-32.
    public struct Chapter: Sendable {
        public let title: String
        public let segments: TimedSegments?
        public let audioSize: Int
        public let audioCRC32: UInt32

        public init(title: String, segments: TimedSegments?, audioSize: Int, audioCRC32: UInt32) {
            self.title = title
            self.segments = segments
            self.audioSize = audioSize
            self.audioCRC32 = audioCRC32
        }
    }

    /// The book's cover image: `cover-image` in the package.
    public struct Cover: Sendable {
        public let fileExtension: String
        public let mediaType: String
        public let bytes: [UInt8]

        public init(fileExtension: String, mediaType: String, bytes: [UInt8]) {
            self.fileExtension = fileExtension
            self.mediaType = mediaType
            self.bytes = bytes
        }
    }

    /// What each entry's bytes are: made here, or chapter N's audio file.
    public enum Part: Sendable, Equatable {
        case bytes([UInt8])
        case audio(chapter: Int)
    }

    public let archive: StoredZipArchive
    public let parts: [Part]

    public static let mediaType = "application/epub+zip"
    static let activeClass = "-epub-media-overlay-active"

    /// - Parameters:
    ///   - identifier: the package's unique identifier (the same book, voice and audio give the same one).
    ///   - modifiedAt: seconds since 1970, the package's `dcterms:modified` and the entries' time.
    public init(title: String, identifier: String, chapters: [Chapter], cover: Cover? = nil, modifiedAt: Double)
        throws(StoredZipArchive.Failure)
    {
        var named: [(String, Part)] = [("mimetype", .bytes(Array(Self.mediaType.utf8)))]
        named.append(("META-INF/container.xml", .bytes(Array(Self.container.utf8))))
        let overlays = chapters.map { chapter in chapter.segments.map { Self.overlayMilliseconds($0) } }
        named.append(
            (
                "OEBPS/content.opf",
                .bytes(
                    Array(
                        Self.package(
                            title: title, identifier: identifier, chapters: chapters, cover: cover, overlays: overlays,
                            modifiedAt: modifiedAt
                        )
                        .utf8))
            ))
        named.append(("OEBPS/nav.xhtml", .bytes(Array(Self.navigation(title: title, chapters: chapters).utf8))))
        named.append(("OEBPS/style.css", .bytes(Array(Self.style.utf8))))
        if let cover { named.append(("OEBPS/images/cover.\(cover.fileExtension)", .bytes(cover.bytes))) }
        for (index, chapter) in chapters.enumerated() {
            let number = index + 1
            named.append(("OEBPS/chapter-\(number).xhtml", .bytes(Array(Self.chapterDocument(chapter, number: number).utf8))))
            if let segments = chapter.segments {
                let overlay = MediaOverlayDocument.render(
                    segments, textReference: "chapter-\(number).xhtml", audioReference: "audio/chapter-\(number).mp3")
                named.append(("OEBPS/chapter-\(number).smil", .bytes(Array(overlay.utf8))))
            }
            named.append(("OEBPS/audio/chapter-\(number).mp3", .audio(chapter: index)))
        }
        parts = named.map(\.1)
        archive = try StoredZipArchive(
            entries: named.map { name, part in
                switch part {
                case let .bytes(bytes):
                    var crc = CRC32(.ieee)
                    crc.update(bytes)
                    return .init(name: name, size: bytes.count, crc32: crc.checksum)
                case let .audio(chapter):
                    return .init(name: name, size: chapters[chapter].audioSize, crc32: chapters[chapter].audioCRC32)
                }
            }, modifiedAt: modifiedAt)
    }

    /// How long an overlay plays: the sum of its clips, as reading systems add them up.
    static func overlayMilliseconds(_ segments: TimedSegments) -> UInt32 {
        segments.sentences.reduce(0) { $0 + ($1.endMilliseconds &- min($1.startMilliseconds, $1.endMilliseconds)) }
    }

    static let container = """
        <?xml version="1.0" encoding="UTF-8"?>
        <container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
          <rootfiles>
            <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
          </rootfiles>
        </container>

        """

    static let style = """
        body { font-family: serif; line-height: 1.5; margin: 1em; }
        .\(activeClass) { background-color: #ffe08a; color: #000; }
        .audio-only { font-style: italic; }

        """

    static func package(
        title: String, identifier: String, chapters: [Chapter], cover: Cover?, overlays: [UInt32?], modifiedAt: Double
    ) -> String {
        var metadata = """
                <dc:identifier id="uid">\(text(identifier))</dc:identifier>
                <dc:title>\(text(title))</dc:title>
                <dc:language>und</dc:language>
                <meta property="dcterms:modified">\(ISO8601Timestamp.format(secondsSince1970: modifiedAt.rounded(.down)).prefix(19))Z</meta>

            """
        let timed = overlays.compactMap { $0 }
        if !timed.isEmpty {
            metadata += """
                    <meta property="media:duration">\(duration(timed.reduce(0, +)))</meta>
                    <meta property="media:active-class">\(activeClass)</meta>

                """
            for (index, milliseconds) in overlays.enumerated() {
                guard let milliseconds else { continue }
                metadata += "    <meta property=\"media:duration\" refines=\"#overlay-\(index + 1)\">\(duration(milliseconds))</meta>\n"
            }
        }
        var manifest = """
                <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
                <item id="style" href="style.css" media-type="text/css"/>

            """
        if let cover {
            manifest +=
                "    <item id=\"cover\" href=\"images/cover.\(cover.fileExtension)\" media-type=\"\(cover.mediaType)\" properties=\"cover-image\"/>\n"
        }
        var spine = ""
        for (index, chapter) in chapters.enumerated() {
            let number = index + 1
            let overlay = chapter.segments == nil ? "" : " media-overlay=\"overlay-\(number)\""
            manifest +=
                "    <item id=\"chapter-\(number)\" href=\"chapter-\(number).xhtml\" media-type=\"application/xhtml+xml\"\(overlay)/>\n"
            if chapter.segments != nil {
                manifest += "    <item id=\"overlay-\(number)\" href=\"chapter-\(number).smil\" media-type=\"application/smil+xml\"/>\n"
            }
            manifest += "    <item id=\"audio-\(number)\" href=\"audio/chapter-\(number).mp3\" media-type=\"audio/mpeg\"/>\n"
            spine += "    <itemref idref=\"chapter-\(number)\"/>\n"
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="und">
              <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
            \(metadata)  </metadata>
              <manifest>
            \(manifest)  </manifest>
              <spine>
            \(spine)  </spine>
            </package>

            """
    }

    static func navigation(title: String, chapters: [Chapter]) -> String {
        let items = chapters.enumerated().map { index, chapter in
            "        <li><a href=\"chapter-\(index + 1).xhtml\">\(text(chapter.title))</a></li>"
        }.joined(separator: "\n")
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="und" lang="und">
              <head><meta charset="UTF-8"/><title>\(text(title))</title></head>
              <body>
                <nav epub:type="toc" id="toc">
                  <h1>\(text(title))</h1>
                  <ol>
            \(items)
                  </ol>
                </nav>
              </body>
            </html>

            """
    }

    static func chapterDocument(_ chapter: Chapter, number: Int) -> String {
        var body: String
        if let segments = chapter.segments {
            body = "      <p>"
            body += segments.sentences.enumerated().map { index, sentence in
                "<span id=\"s\(index + 1)\">\(text(sentence.text))</span>"
            }.joined(separator: " ")
            body += "</p>\n"
        } else {
            body = """
                      <p class="audio-only">This chapter has audio without timings (imported audio): it plays without its text.</p>
                      <audio src="audio/chapter-\(number).mp3" controls="controls"></audio>

                """
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="und" lang="und">
              <head><meta charset="UTF-8"/><title>\(text(chapter.title))</title><link rel="stylesheet" type="text/css" href="style.css"/></head>
              <body>
                <section epub:type="chapter" id="chapter">
                  <h1>\(text(chapter.title))</h1>
            \(body)    </section>
              </body>
            </html>

            """
    }

    /// Text for XML: escaped, and the characters XML 1.0 cannot hold (C0 controls but tab and line breaks,
    /// surrogates cannot occur in a String, U+FFFE and U+FFFF) replaced by U+FFFD.
    static func text(_ value: String) -> String {
        var clean = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            let allowed =
                scalar == "\t" || scalar == "\n" || scalar == "\r"
                || (scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF)
            clean.append(allowed ? scalar : "\u{FFFD}")
        }
        return MarkupEscaping.escaped(String(clean))
    }

    /// A `media:duration` clock value: `h:mm:ss.fff`.
    static func duration(_ milliseconds: UInt32) -> String {
        let (hours, minutes, seconds, millis) = (
            milliseconds / 3_600_000, milliseconds / 60_000 % 60, milliseconds / 1000 % 60, milliseconds % 1000
        )
        func two(_ value: UInt32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(millis)
        return "\(hours):\(two(minutes)):\(two(seconds)).\(String(repeating: "0", count: 3 - fraction.count) + fraction)"
    }
}
