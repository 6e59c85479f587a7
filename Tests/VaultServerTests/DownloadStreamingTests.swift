import Foundation
import Testing
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
        let answer = try await bed.post(VoiceTestbed.requestBody(text: text, extra: #""modelId":"eleven_multilingual_v2""#),
                                        timeout: .seconds(120))
        #expect(answer.status == 200, "\(answer.body)")
        let path = try #require(json(answer.body)["url"] as? String)
        let bytes = try FileSystem.readFile(bed.dataDirectory + path)
        #expect(bytes.count > 17 << 20)
        return (path, bytes)
    }

    @Test func aFileDeletedMidResponseCompletesAndMemoryStaysBounded() async throws {
        let bed = try VoiceTestbed()
        let (path, bytes) = try await Self.largeStoredFile(bed)
        let baseline = try residentBytes(of: bed.server.process.processIdentifier)

        let client = try SlowClient(port: bed.server.port)
        try client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        var received = try client.receive(atLeast: 64 << 10)
        // Stop reading: the kernel's socket buffers fill and the server must wait rather than buffer the file.
        try await Task.sleep(for: .milliseconds(500))
        let during = try residentBytes(of: bed.server.process.processIdentifier)
        #expect(during - baseline < 8 << 20, "resident memory grew by \(during - baseline) bytes while a \(bytes.count)-byte response was paused")

        try FileManager.default.removeItem(atPath: bed.dataDirectory + path)
        received += try client.receiveToEnd()
        let (head, body) = try #require(Self.split(received))
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(head.lowercased().contains("content-length: \(bytes.count)"))
        #expect(body.count == bytes.count)
        #expect(body == bytes, "the response must carry the bytes the file had when the response started")
    }

    @Test func aCachedFileServesRangesFromMemoryAfterTheFileIsGone() async throws {
        let bed = try VoiceTestbed()
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

/// Resident set size of a process, from /proc.
func residentBytes(of pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { throw CocoaError(.fileReadCorruptFile) }
    return kilobytes * 1024
}

/// A blocking HTTP/1.1 client on a plain socket that reads only when told to, so a test can hold a
/// response half-read. Its receive buffer is kept small so the server feels the pause quickly.
final class SlowClient {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SystemError(errno: errno, operation: "socket", path: "") }
        var small: Int32 = 64 << 10
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw SystemError(errno: errno, operation: "connect", path: "127.0.0.1:\(port)") }
    }

    deinit { close(descriptor) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
            guard result > 0 else { throw SystemError(errno: errno, operation: "send", path: "") }
            sent += result
        }
    }

    func receive(atLeast count: Int) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while received.count < count {
            let got = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            received += chunk[..<got]
        }
        return received
    }

    func receiveToEnd() throws -> [UInt8] { try receive(atLeast: .max) }
}
