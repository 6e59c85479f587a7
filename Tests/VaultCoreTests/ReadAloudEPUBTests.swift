import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// The read-aloud EPUB, checked by the tools that define it: Python's `zipfile` reads the archive and every
/// entry's CRC (a differential check of `StoredZipArchive`), and Debian's `epubcheck` finds no error.
@Suite struct ReadAloudEPUBTests {
    /// The whole archive as the route streams it.
    static func bytes(_ epub: ReadAloudEPUB, audio: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, part) in epub.parts.enumerated() {
            out += epub.archive.localHeader(index)
            switch part {
            case let .bytes(bytes): out += bytes
            case let .audio(chapter): out += audio[chapter]
            }
        }
        return out + epub.archive.centralDirectory
    }

    static func alignment(_ text: String, step: UInt32 = 60) -> SpeechAlignment {
        SpeechAlignment(
            characters: text.unicodeScalars.enumerated().map { index, scalar in
                .init(text: String(scalar), startMilliseconds: UInt32(index) * step, endMilliseconds: UInt32(index + 1) * step)
            })
    }

    static func book() throws -> (ReadAloudEPUB, [[UInt8]], TimedSegments) {
        let audio = [SilentMP3.make(frames: 60), SilentMP3.make(frames: 40), SilentMP3.make(frames: 20)]
        let segments = TimedSegments(alignment("It was a dark night. The rain fell <hard> & \"long\"! Then\u{1} it stopped."))
        let chapters = [
            ReadAloudEPUB.Chapter(title: "One & only", segments: segments, audioSize: audio[0].count, audioCRC32: CRC32.ieee(audio[0])),
            ReadAloudEPUB.Chapter(title: "Imported", segments: nil, audioSize: audio[1].count, audioCRC32: CRC32.ieee(audio[1])),
            ReadAloudEPUB.Chapter(
                title: "Three", segments: TimedSegments(alignment("Short.")), audioSize: audio[2].count, audioCRC32: CRC32.ieee(audio[2])),
        ]
        return (
            try ReadAloudEPUB(title: "A <book>", identifier: "urn:voicevault:test", chapters: chapters, modifiedAt: 1_796_644_800.7), audio,
            segments
        )
    }

    @Test func pythonReadsTheArchiveAndEveryCRC() throws {
        let (epub, audio, _) = try Self.book()
        let bytes = Self.bytes(epub, audio: audio)
        #expect(bytes.count == epub.archive.length)
        let directory = TemporaryDirectory("vv-epub")
        let path = directory.sub("book.epub")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let check = try runToCompletion(
            "/usr/bin/python3",
            [
                "-c",
                """
                import sys, zipfile
                z = zipfile.ZipFile(sys.argv[1])
                assert z.testzip() is None
                names = z.namelist()
                assert names[0] == "mimetype" and z.read("mimetype") == b"application/epub+zip", names
                assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
                assert z.infolist()[0].date_time == (2026, 12, 7, 12, 0, 0), z.infolist()[0].date_time
                print(" ".join(names))
                """, path,
            ])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("OEBPS/chapter-1.smil") && !check.output.contains("OEBPS/chapter-2.smil"), "\(check.output)")
    }

    @Test func epubcheckFindsNoError() throws {
        let (epub, audio, _) = try Self.book()
        let directory = TemporaryDirectory("vv-epubcheck")
        let path = directory.sub("book.epub")
        try Data(Self.bytes(epub, audio: audio)).write(to: URL(fileURLWithPath: path))
        // Debian's /usr/bin/epubcheck is an executable jar (run through binfmt_misc from a shell): run it with java.
        let check = try runToCompletion("/usr/bin/java", ["-jar", "/usr/bin/epubcheck", path])
        #expect(check.status == 0 && !check.output.contains("ERROR") && !check.output.contains("FATAL"), "\(check.output)")
    }

    @Test func theOverlayPairsEachSentenceWithItsClip() throws {
        let (epub, _, segments) = try Self.book()
        guard case let .bytes(smil) = epub.parts[epub.archive.entries.firstIndex { $0.name == "OEBPS/chapter-1.smil" } ?? 0] else {
            Issue.record("no overlay")
            return
        }
        let text = String(decoding: smil, as: UTF8.self)
        for (index, sentence) in segments.sentences.enumerated() {
            #expect(text.contains("#s\(index + 1)\"/>"))
            #expect(text.contains("clipBegin=\"\(MediaOverlayDocument.clock(sentence.startMilliseconds))\""))
            #expect(text.contains("clipEnd=\"\(MediaOverlayDocument.clock(sentence.endMilliseconds))\""))
        }
        #expect(ReadAloudEPUB.duration(3_723_456) == "1:02:03.456")
        #expect(ReadAloudEPUB.text("a\u{1}<b>") == "a\u{FFFD}&lt;b&gt;")
    }

    @Test func anArchiveTooLargeForZIPIsRefused() {
        #expect(throws: StoredZipArchive.Failure.tooLarge) {
            try StoredZipArchive(entries: [.init(name: "big", size: Int(UInt32.max), crc32: 0)], modifiedAt: 0)
        }
    }
}

extension CRC32 {
    static func ieee(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32(.ieee)
        crc.update(bytes)
        return crc.checksum
    }
}
