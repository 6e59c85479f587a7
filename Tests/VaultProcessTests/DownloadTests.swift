import Foundation
import NIOCore
import Testing
import VaultTestSupport
import VaultCore

/// `GET`/`HEAD /audio/<bookId>/<hash>.mp3` over real HTTP: status, headers and exact bytes.
@Suite struct DownloadTests {
    struct Stored {
        let bed: VoiceTestbed
        let url: String
        let bytes: [UInt8]
        let sha256: String
    }

    /// Cached: answered from the hot-file cache after the first read; not: streamed from the descriptor.
    static func stored(cached: Bool = true) async throws -> Stored {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_DOWNLOAD_CACHE_MIB": cached ? "256" : "0"])
        let answer = json(try await bed.post(VoiceTestbed.requestBody(text: "A chapter to download, seek and cache forever.")).body)
        let path = try #require(answer["url"] as? String)
        let bytes = try FileSystem.readFile(bed.dataDirectory + path)
        return Stored(bed: bed, url: bed.server.baseURL + path, bytes: bytes, sha256: SHA256Digest.of(bytes).hex)
    }

    @Test(arguments: [true, false]) func fullGetAndHeadCarryTheCDNHeaders(cached: Bool) async throws {
        let s = try await Self.stored(cached: cached)
        let get = try await httpRequest("GET", s.url)
        #expect(get.status == 200)
        #expect(get.bytes == s.bytes)
        #expect(get.header("content-type") == "audio/mpeg")
        #expect(get.header("accept-ranges") == "bytes")
        #expect(get.header("etag") == "\"\(s.sha256)\"")
        #expect(get.header("cache-control") == "public, max-age=31536000, immutable")
        #expect(get.header("content-length") == String(s.bytes.count))
        #expect(HTTPDate.parse(get.header("last-modified") ?? "") != nil)

        let head = try await httpRequest("HEAD", s.url)
        #expect(head.status == 200)
        #expect(head.bytes.isEmpty)
        for name in ["content-type", "accept-ranges", "etag", "cache-control", "content-length", "last-modified"] {
            #expect(head.header(name) == get.header(name), "\(name)")
        }
        let headWithRange = try await httpRequest("HEAD", s.url, headers: ["range": "bytes=0-9"])
        #expect(headWithRange.status == 200)
        #expect(headWithRange.header("content-range") == nil)
    }

    @Test(arguments: [true, false]) func singleRangesReturnExactlyThoseBytes(cached: Bool) async throws {
        let s = try await Self.stored(cached: cached)
        let n = s.bytes.count
        let cases: [(String, Range<Int>)] = [
            ("bytes=0-99", 0..<100), ("bytes=100-", 100..<n), ("bytes=-100", (n - 100)..<n),
            ("bytes= 5-5", 5..<6), ("bytes=\(n - 10)-\(n + 500)", (n - 10)..<n), ("bytes=0-0,1-1", 0..<2),
        ]
        for (header, span) in cases {
            let result = try await httpRequest("GET", s.url, headers: ["range": header])
            #expect(result.status == 206, "\(header)")
            #expect(result.bytes == Array(s.bytes[span]), "\(header)")
            #expect(result.header("content-range") == "bytes \(span.lowerBound)-\(span.upperBound - 1)/\(n)", "\(header)")
            #expect(result.header("etag") == "\"\(s.sha256)\"")
            #expect(result.header("cache-control") == "public, max-age=31536000, immutable")
        }
    }

    @Test(arguments: [true, false]) func severalRangesComeBackAsMultipartThatParses(cached: Bool) async throws {
        let s = try await Self.stored(cached: cached)
        let n = s.bytes.count
        let result = try await httpRequest("GET", s.url, headers: ["range": "bytes=0-9, 200-299, -50"])
        #expect(result.status == 206)
        #expect(result.header("content-range") == nil)
        let contentType = try #require(result.header("content-type"))
        #expect(contentType.hasPrefix("multipart/byteranges; boundary="))
        let boundary = String(contentType.dropFirst("multipart/byteranges; boundary=".count))
        #expect(result.header("content-length") == String(result.bytes.count))

        let parts = Self.parseMultipart(result.bytes, boundary: boundary)
        let expected: [Range<Int>] = [0..<10, 200..<300, (n - 50)..<n]
        #expect(parts.count == 3)
        for (part, span) in zip(parts, expected) {
            #expect(part.headers["content-type"] == "audio/mpeg")
            #expect(part.headers["content-range"] == "bytes \(span.lowerBound)-\(span.upperBound - 1)/\(n)")
            #expect(part.body == Array(s.bytes[span]))
        }
    }

    @Test func theRangeCountLimitIsTheOperatorsSetting() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_MAX_RANGES": "2"])
        let answer = json(try await bed.post(VoiceTestbed.requestBody(text: "Two ranges at most on this server.")).body)
        let path = try #require(answer["url"] as? String)
        let bytes = try FileSystem.readFile(bed.dataDirectory + path)
        let two = try await httpRequest("GET", bed.server.baseURL + path, headers: ["range": "bytes=0-9, 100-109"])
        #expect(two.status == 206 && two.header("content-type")?.hasPrefix("multipart/byteranges") == true)
        let three = try await httpRequest("GET", bed.server.baseURL + path, headers: ["range": "bytes=0-9, 100-109, 200-209"])
        #expect(three.status == 200 && three.bytes == bytes)
    }

    @Test(arguments: [true, false]) func conditionalsAndUnsatisfiableRanges(cached: Bool) async throws {
        let s = try await Self.stored(cached: cached)
        let etag = "\"\(s.sha256)\""
        let notModified = try await httpRequest("GET", s.url, headers: ["if-none-match": "\"other\", W/\(etag)"])
        #expect(notModified.status == 304)
        #expect(notModified.bytes.isEmpty)
        #expect(notModified.header("etag") == etag)
        #expect(notModified.header("cache-control") == "public, max-age=31536000, immutable")
        let lastModified = try #require(try await httpRequest("HEAD", s.url).header("last-modified"))
        #expect(try await httpRequest("GET", s.url, headers: ["if-modified-since": lastModified]).status == 304)
        #expect(try await httpRequest("GET", s.url, headers: ["if-none-match": "\"other\""]).status == 200)

        let staleRange = try await httpRequest("GET", s.url, headers: ["range": "bytes=0-9", "if-range": "\"old\""])
        #expect(staleRange.status == 200)
        #expect(staleRange.bytes == s.bytes)
        let freshRange = try await httpRequest("GET", s.url, headers: ["range": "bytes=0-9", "if-range": etag])
        #expect(freshRange.status == 206)

        let unsatisfiable = try await httpRequest("GET", s.url, headers: ["range": "bytes=\(s.bytes.count)-"])
        #expect(unsatisfiable.status == 416)
        #expect(unsatisfiable.header("content-range") == "bytes */\(s.bytes.count)")
        #expect(try await httpRequest("GET", s.url, headers: ["range": "items=0-9"]).status == 200)
        #expect(try await httpRequest("GET", s.url, headers: ["if-match": "\"other\""]).status == 412)
    }

    @Test(arguments: [true, false]) func downloadNamesAndBadPaths(cached: Bool) async throws {
        let s = try await Self.stored(cached: cached)
        let hash = String(s.url.split(separator: "/").last?.dropLast(4) ?? "")
        let plain = try await httpRequest("GET", s.url + "?download")
        #expect(plain.header("content-disposition") == "attachment; filename=\"\(hash).mp3\"")
        let named = try await httpRequest("GET", s.url + "?download=Chapter%201%3A%20%22The%20Start%22%0D%0AX-Evil%3A%201")
        #expect(named.header("content-disposition") == "attachment; filename=\"Chapter_1___The_Start___X-Evil__1.mp3\"")
        #expect(named.header("x-evil") == nil)

        let base = s.bed.server.baseURL
        let badBook = try await httpRequest("GET", base + "/audio/..%2F..%2Fetc/\(hash).mp3")
        #expect(badBook.status == 400)
        #expect(json(badBook.body)["error"] as? String == "invalid_book_id")
        #expect(try await httpRequest("GET", base + "/audio/book-1/\(String(repeating: "a", count: 64)).mp3").status == 404)
        #expect(try await httpRequest("GET", base + "/audio/book-1/notahash.mp3").status == 404)
        // A real hash under a book that does not reference it is not served.
        let elsewhere = try await httpRequest("GET", base + "/audio/other-book/\(hash).mp3")
        #expect(elsewhere.status == 404)
        #expect(json(elsewhere.body)["error"] as? String == "not_found")
    }

    struct Part {
        var headers: [String: String]
        var body: [UInt8]
    }

    /// Splits a multipart body on `--boundary` lines, as a client would.
    static func parseMultipart(_ bytes: [UInt8], boundary: String) -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        var positions = [Int]()
        var index = 0
        while index + delimiter.count <= bytes.count {
            if bytes[index..<(index + delimiter.count)].elementsEqual(delimiter) {
                positions.append(index)
                index += delimiter.count
            } else {
                index += 1
            }
        }
        var parts = [Part]()
        for (start, end) in zip(positions, positions.dropFirst()) {
            var section = Array(bytes[(start + delimiter.count)..<end])
            if section.starts(with: Array("\r\n".utf8)) { section.removeFirst(2) }
            if section.suffix(2) == [13, 10] { section.removeLast(2) }  // the CRLF before the next delimiter
            guard let split = (0..<(section.count - 3)).first(where: { section[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) })
            else { continue }
            var headers = [String: String]()
            for line in String(decoding: section[..<split], as: UTF8.self).components(separatedBy: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1)
                if pair.count == 2 { headers[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces) }
            }
            parts.append(Part(headers: headers, body: Array(section[(split + 4)...])))
        }
        return parts
    }

    /// Issue 10 item 9: an indexed asset replaced by a link to any file was served, with a year of immutable
    /// caching. Links are never followed; a file of another size than its record is never served.
    @Test func aLinkOrAFileOfTheWrongSizeIsNeverServed() async throws {
        let s = try await Self.stored(cached: false)
        let path = s.bed.dataDirectory + String(s.url.dropFirst(s.bed.server.baseURL.count))
        let elsewhere = s.bed.directory.path + "/elsewhere.mp3"
        try Data(s.bytes.reversed()).write(to: URL(fileURLWithPath: elsewhere))
        try FileSystem.removeFile(path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: elsewhere)
        #expect(try await httpRequest("GET", s.url).status == 404)
        #expect(try await httpRequest("GET", s.url, headers: ["range": "bytes=0-9"]).status == 404)
        try FileSystem.removeFile(path)
        try Data(s.bytes + [0]).write(to: URL(fileURLWithPath: path))
        let damaged = try await httpRequest("GET", s.url)
        #expect(damaged.status == 500)
        #expect(json(damaged.body)["error"] as? String == "asset_damaged")
    }

    /// Issue 10: a 304 read the whole file into the cache first. The plan is now made from the record alone,
    /// so a conditional GET that answers 304, a HEAD, a 412 or a 416 opens nothing: with the file gone
    /// from under its record they still answer from the record (fsck is what reports the missing file).
    @Test func answersWithoutABodyOpenNoFile() async throws {
        let s = try await Self.stored(cached: false)
        let path = s.bed.dataDirectory + String(s.url.dropFirst(s.bed.server.baseURL.count))
        try FileSystem.removeFile(path)
        let etag = "\"\(s.sha256)\""
        #expect(try await httpRequest("GET", s.url, headers: ["if-none-match": etag]).status == 304)
        let head = try await httpRequest("HEAD", s.url)
        #expect(head.status == 200 && head.header("content-length") == String(s.bytes.count))
        #expect(try await httpRequest("GET", s.url, headers: ["if-match": "\"other\""]).status == 412)
        #expect(try await httpRequest("GET", s.url, headers: ["range": "bytes=\(s.bytes.count)-"]).status == 416)
        // A body needs the file: that one is a 404.
        #expect(try await httpRequest("GET", s.url).status == 404)
    }
}
