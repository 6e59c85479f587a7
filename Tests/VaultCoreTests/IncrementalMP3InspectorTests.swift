import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// The incremental inspector must answer exactly what the whole-file inspector answers, for every way the
/// same bytes can arrive.
@Suite struct IncrementalMP3InspectorTests {
    static func whole(_ bytes: [UInt8]) -> Result<MP3Info, MP3Error> {
        Result { () throws(MP3Error) in try MP3Inspector.inspect(bytes) }
    }

    /// Feeds `bytes` in pieces cut at `cuts`; returns the verdict and the audio frames it handed out.
    static func incremental(_ bytes: [UInt8], cuts: [Int]) -> (Result<MP3Info, MP3Error>, [UInt8]) {
        var inspector = IncrementalMP3Inspector()
        var audio = [UInt8]()
        var start = 0
        for cut in cuts.sorted() + [bytes.count] where cut >= start {
            audio += inspector.feed(bytes[start..<cut])
            start = cut
        }
        do {
            let (info, rest) = try inspector.finish()
            return (.success(info), audio + rest)
        } catch {
            return (.failure(error), audio)
        }
    }

    static var samples: [(String, [UInt8])] {
        var list = ["speech-cbr128-id3.mp3", "speech-vbr-xing.mp3", "speech-mpeg2-mono-noxing.mp3"].map {
            ($0, (try? FileSystem.readFile(TestPaths.fixture($0))) ?? [])
        }
        list.append(("silent-xing", SilentMP3.make(frames: 50, xingHeader: true)))
        list.append(("silent-plain", SilentMP3.make(frames: 7)))
        let plain = SilentMP3.make(frames: 20)
        list.append(("id3v1-trailer", plain + Array("TAG".utf8) + [UInt8](repeating: 0x20, count: 125)))
        list.append(("junk-trailer", plain + [1, 2, 3]))
        list.append(("junk-before", [0, 0, 7] + plain))
        list.append(("not-mp3", Array("<html><body>Bad gateway</body></html>".utf8)))
        list.append(("tiny", [0xFF, 0xFB]))
        // An ID3 tag that claims more bytes than there are.
        list.append(("tag-only", [0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 1, 0] + [UInt8](repeating: 0, count: 20)))
        return list
    }

    @Test(arguments: samples.map(\.0))
    func everySplitAgreesWithTheWholeFileInspector(name: String) throws {
        let bytes = try #require(Self.samples.first { $0.0 == name }?.1)
        let expected = Self.whole(bytes)
        var cases: [[Int]] = [[], Array(0..<bytes.count)]  // whole, and byte by byte
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            cases.append((0..<Int.random(in: 1...8, using: &generator)).map { _ in Int.random(in: 0...bytes.count, using: &generator) })
        }
        for cuts in cases {
            let (verdict, audio) = Self.incremental(bytes, cuts: cuts)
            #expect(verdict == expected, "\(name) cut at \(cuts.prefix(10))")
            if case let .success(info) = expected {
                #expect(audio == Array(bytes[info.audioOffset..<info.audioEnd]), "\(name): the frames handed out are the audio")
            }
        }
    }

    @Test(arguments: samples.map(\.0).prefix(5))
    func everyTruncationAgreesToo(name: String) throws {
        let bytes = try #require(Self.samples.first { $0.0 == name }?.1)
        for length in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 300)) {
            let prefix = Array(bytes.prefix(length))
            #expect(Self.incremental(prefix, cuts: [length / 3, length / 2]).0 == Self.whole(prefix), "\(name) cut to \(length)")
        }
    }

    @Test func memoryStaysBoundedByAPartialFrame() {
        var inspector = IncrementalMP3Inspector()
        let frames = SilentMP3.make(frames: 2000)
        var handedOut = 0
        for start in stride(from: 0, to: frames.count, by: 1000) {
            handedOut += inspector.feed(frames[start..<min(start + 1000, frames.count)]).count
        }
        #expect(handedOut > frames.count - IncrementalMP3Inspector.headBytes - 2 * IncrementalMP3Inspector.maximumFrameBytes)
        #expect((try? inspector.finish().info.audioFrameCount) == 2000)
    }
}
