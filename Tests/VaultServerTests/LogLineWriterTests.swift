#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import VaultServer

/// Log lines leave the request's thread: in order, never blocking the caller, and a reader that stalls costs
/// dropped lines (counted and reported), not stalled requests.
@Suite struct LogLineWriterTests {
    /// Everything written to `descriptor` until it is closed.
    static func readAll(_ descriptor: Int32) -> Task<String, Never> {
        Task.detached {
            var bytes = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let got = read(descriptor, &buffer, buffer.count)
                if got <= 0 { break }
                bytes += buffer[..<got]
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    @Test func linesArriveInOrder() async {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let writer = LogLineWriter(descriptor: ends[1])
        let reading = Self.readAll(ends[0])
        for number in 0..<500 { writer.append("line \(number)\n") }
        writer.flush()
        close(ends[1])
        let text = await reading.value
        #expect(text == (0..<500).map { "line \($0)\n" }.joined())
        close(ends[0])
    }

    @Test func aStalledReaderCostsDroppedLinesNotABlockedCaller() async {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let writer = LogLineWriter(descriptor: ends[1])
        // Nobody reads yet: the pipe (64 KiB) and then the buffer (1 MiB) fill; appending still returns.
        let line = String(repeating: "x", count: 1000) + "\n"
        for _ in 0..<3000 { writer.append(line) }
        let reading = Self.readAll(ends[0])
        writer.flush()
        close(ends[1])
        let text = await reading.value
        #expect(text.contains("log lines dropped"))
        // Each batch the writer takes reports the drops since the last one, so there may be several reports.
        let dropped = text.split(separator: "\n").filter { $0.contains("dropped=") }
            .compactMap { $0.split(separator: " ").first { $0.hasPrefix("dropped=") } }
            .compactMap { Int($0.dropFirst("dropped=".count)) }.reduce(0, +)
        let kept = text.split(separator: "\n").filter { $0.hasPrefix("xxx") }.count
        #expect(dropped > 0 && kept + dropped == 3000, "kept \(kept), dropped \(dropped)")
        close(ends[0])
    }
}
