import Foundation
import Testing
import VaultTestSupport
import VaultCore
#if canImport(Glibc)
import Glibc
#endif

/// Files too large for the hot cache stream from the descriptor opened for the response: memory stays
/// bounded however large the file, and deleting the file mid-response does not cut the response short.
@Suite struct DownloadStreamingTests {
    /// A real ~20 MB MP3, generated through the API (the fake speaks about 1 kB per character, and the text
    /// is split into several upstream calls and joined), which is over the cache's 16 MiB per-file limit.
    static func largeStoredFile(_ bed: VoiceTestbed) async throws -> (path: String, bytes: [UInt8]) {
        let sentence = "This long chapter streams from the disk in bounded chunks. "
        let text = String(String(repeating: sentence, count: 400).prefix(20_000))
        let answer = try await bed.post(
            VoiceTestbed.requestBody(text: text, extra: #""modelId":"eleven_multilingual_v2""#),
            timeout: .seconds(120))
        #expect(answer.status == 200, "\(answer.body)")
        let path = try #require(json(answer.body)["url"] as? String)
        let bytes = try FileSystem.readFile(bed.dataDirectory + path)
        #expect(bytes.count > 17 << 20)
        return (path, bytes)
    }

    @Test func aFileDeletedMidResponseCompletesAndMemoryStaysBounded() async throws {
        // A 20 MB chapter is made of two 10,000-character upstream calls: more than the testbed's 2 s per attempt in a
        // debug build.
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_UPSTREAM_TIMEOUT_MS": "60000"])
        let (path, bytes) = try await Self.largeStoredFile(bed)
        let baseline = try residentBytes(of: bed.server.process.processIdentifier)

        let client = try RawConnection(port: bed.server.port, receiveBuffer: 64 << 10)
        client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        var received = client.receive(atLeast: 64 << 10)
        // Stop reading: the kernel's socket buffers fill and the server must wait rather than buffer the file.
        try await Task.sleep(for: .milliseconds(500))
        let during = try residentBytes(of: bed.server.process.processIdentifier)
        #expect(
            during - baseline < 8 << 20,
            "resident memory grew by \(during - baseline) bytes while a \(bytes.count)-byte response was paused")

        try FileManager.default.removeItem(atPath: bed.dataDirectory + path)
        received += client.receiveAll(limit: .max)
        let (head, body) = try #require(Self.split(received))
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(head.lowercased().contains("content-length: \(bytes.count)"))
        #expect(body.count == bytes.count)
        #expect(body == bytes, "the response must carry the bytes the file had when the response started")
    }

    @Test func aCachedFileServesRangesFromMemoryAfterTheFileIsGone() async throws {
        // A 20 MB chapter is made of two 10,000-character upstream calls: more than the testbed's 2 s per attempt in a
        // debug build.
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_UPSTREAM_TIMEOUT_MS": "60000"])
        let answer = try await bed.post(VoiceTestbed.requestBody(text: "Held in memory once served."))
        let path = try #require(json(answer.body)["url"] as? String)
        let bytes = try FileSystem.readFile(bed.dataDirectory + path)
        #expect(try await httpRequest("GET", bed.server.baseURL + path).bytes == bytes)
        // The bytes under a content hash never change, so the held copy stays right; the index still decides
        // whether the book has the audio at all.
        try FileManager.default.removeItem(atPath: bed.dataDirectory + path)
        let range = try await httpRequest("GET", bed.server.baseURL + path, headers: ["range": "bytes=10-19"])
        #expect(range.status == 206)
        #expect(range.bytes == Array(bytes[10..<20]))
        #expect(try await httpRequest("GET", bed.server.baseURL + "/audio/other-book/" + path.split(separator: "/").last!).status == 404)
    }

    static func split(_ response: [UInt8]) -> (head: String, body: [UInt8])? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard response.count >= 4 else { return nil }
        for index in 0...(response.count - 4) where Array(response[index..<(index + 4)]) == separator {
            return (String(decoding: response[..<index], as: UTF8.self), Array(response[(index + 4)...]))
        }
        return nil
    }
}
