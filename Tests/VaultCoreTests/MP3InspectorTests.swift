import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct MP3InspectorTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        try FileSystem.readFile(TestPaths.fixture(name))
    }

    // The fixtures were encoded by lame from one espeak-ng WAV of 4.193787 s (`soxi -D`). With LAME's gapless
    // fields (encoder delay, end padding) the exact length comes back; without a tag, whole frames
    // (163 x 576 / 22050 = 4.258005 s, as `soxi -D` reports for that file).
    @Test(arguments: [
        ("speech-cbr128-id3.mp3", 4.193787, MP3Info.DurationSource.xingHeader),
        ("speech-vbr-xing.mp3", 4.193787, .xingHeader),
        ("speech-mpeg2-mono-noxing.mp3", 4.258005, .frameWalk),
    ])
    func realEncoderOutput(name: String, seconds: Double, source: MP3Info.DurationSource) throws {
        let info = try MP3Inspector.inspect(Self.fixture(name))
        #expect(abs(info.durationSeconds - seconds) < 0.0001, "\(info.durationSeconds)")
        #expect(info.durationSource == source)
        #expect(info.sampleRate == 22_050)
    }

    @Test func id3v2TagIsSkipped() throws {
        let info = try MP3Inspector.inspect(Self.fixture("speech-cbr128-id3.mp3"))
        #expect(info.id3v2Length > 0)
        #expect(info.firstFrameOffset == info.id3v2Length)
        #expect(info.audioOffset > info.firstFrameOffset)  // the Info frame carries no audio
    }

    @Test func frameWalkTimesSyntheticAudio() throws {
        let bytes = SilentMP3.make(frames: 383)  // 383 * 1152 / 44100 = 10.005 s
        let info = try MP3Inspector.inspect(bytes)
        #expect(info.audioFrameCount == 383)
        #expect(info.durationSource == .frameWalk)
        #expect(abs(info.durationSeconds - 383.0 * 1152 / 44_100) < 1e-9)
        #expect(info.averageBitrateKbps == 128)
        #expect(info.audioEnd == bytes.count)
        // The padding pattern holds the exact bitrate: 10 s at 128 kbps is about 160 kB.
        #expect(abs(Double(bytes.count) - info.durationSeconds * 16_000) < 418)
    }

    @Test func xingHeaderIsUsedAndNotCountedAsAudio() throws {
        let info = try MP3Inspector.inspect(SilentMP3.make(frames: 100, xingHeader: true))
        #expect(info.durationSource == .xingHeader)
        #expect(info.audioFrameCount == 100)
        #expect(abs(info.durationSeconds - 100.0 * 1152 / 44_100) < 1e-9)
    }

    @Test func trailingID3v1AndAPETagsAreAllowed() throws {
        var withID3v1 = SilentMP3.make(frames: 10)
        withID3v1 += Array("TAG".utf8) + [UInt8](repeating: 0x20, count: 125)
        #expect(try MP3Inspector.inspect(withID3v1).trailingTagLength == 128)

        var ape = SilentMP3.make(frames: 10)
        var header = Array("APETAGEX".utf8) + [0xD0, 0x07, 0, 0]  // version 2000
        header += [32, 0, 0, 0] + [UInt8](repeating: 0, count: 16)  // tag size 32 (footer only)
        ape += header + Array("APETAGEX".utf8) + [UInt8](repeating: 0, count: 24)
        #expect(try MP3Inspector.inspect(ape).trailingTagLength == 64)
    }

    @Test func truncatedAudioIsRejected() throws {
        let whole = SilentMP3.make(frames: 20)
        let cut = Array(whole.dropLast(100))
        #expect(throws: MP3Error.truncated(validBytes: whole.count - 418 - 0, totalBytes: cut.count)) {
            _ = try MP3Inspector.inspect(cut)
        }
        let real = try Self.fixture("speech-vbr-xing.mp3")
        #expect(throws: MP3Error.self) { _ = try MP3Inspector.inspect(Array(real.prefix(real.count - 37))) }
    }

    @Test func garbageAfterTheFramesIsRejected() {
        let bytes = SilentMP3.make(frames: 5) + Array("<html>oops</html>".utf8)
        #expect(throws: MP3Error.self) { _ = try MP3Inspector.inspect(bytes) }
    }

    @Test(arguments: [
        ([UInt8](), MP3Error.empty),
        (Array(#"{"detail":{"status":"voice_not_found"}}"#.utf8), MP3Error.noFrameSync),
        ([0xFF, 0xFB, 0x90, 0x00], MP3Error.noFrameSync),  // one header with nothing behind it
        ([UInt8](repeating: 0xFF, count: 5000), MP3Error.noFrameSync),
    ])
    func nonAudioIsRejected(bytes: [UInt8], error: MP3Error) {
        #expect(throws: error) { _ = try MP3Inspector.inspect(bytes) }
    }

    @Test func headerFieldsRoundTrip() throws {
        for version in [MP3FrameHeader.Version.mpeg1, .mpeg2, .mpeg25] {
            for layer in 1...3 {
                let rate = MP3FrameHeader.sampleRates(version)[1]
                let bitrate = MP3FrameHeader.bitrates(version: version, layer: layer)[4]
                let header = try #require(
                    MP3FrameHeader(
                        version: version, layer: layer, bitrateKbps: bitrate, sampleRate: rate, hasPadding: true,
                        isMono: layer == 2))
                let bytes = header.bytes
                #expect(MP3FrameHeader(bytes[0], bytes[1], bytes[2], bytes[3]) == header)
            }
        }
        // Known frame lengths: MPEG-1 L3 128k 44.1k = 417 (+1 padded); MPEG-2 L3 64k 22.05k = 208.
        #expect(
            MP3FrameHeader(version: .mpeg1, layer: 3, bitrateKbps: 128, sampleRate: 44100, hasPadding: false, isMono: false)?.frameLength
                == 417)
        #expect(
            MP3FrameHeader(version: .mpeg2, layer: 3, bitrateKbps: 64, sampleRate: 22050, hasPadding: false, isMono: false)?.frameLength
                == 208)
        #expect(
            MP3FrameHeader(version: .mpeg1, layer: 1, bitrateKbps: 32, sampleRate: 32000, hasPadding: false, isMono: false)?.frameLength
                == 48)
        // Reserved values are not headers.
        #expect(MP3FrameHeader(0xFF, 0xEB, 0x90, 0x00) == nil)  // version 01 reserved
        #expect(MP3FrameHeader(0xFF, 0xF9, 0x90, 0x00) == nil)  // layer 00 reserved
        #expect(MP3FrameHeader(0xFF, 0xFB, 0xF0, 0x00) == nil)  // bitrate 15
        #expect(MP3FrameHeader(0xFF, 0xFB, 0x00, 0x00) == nil)  // free format
        #expect(MP3FrameHeader(0xFF, 0xFB, 0x9C, 0x00) == nil)  // sample rate 3
    }
}
