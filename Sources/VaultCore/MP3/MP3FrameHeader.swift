/// One MPEG audio frame header (the 4 bytes before every frame), decoded.
///
/// Only what is needed to walk frames and time them: version, layer, bitrate, sample rate, padding and
/// channel mode. Free-format bitrates (index 0) are rejected: they have no computable frame length and
/// ElevenLabs never produces them.
public struct MP3FrameHeader: Equatable, Sendable {
    public enum Version: Sendable { case mpeg1, mpeg2, mpeg25 }

    public let version: Version
    public let layer: Int
    public let bitrateKbps: Int
    public let sampleRate: Int
    public let hasPadding: Bool
    public let isMono: Bool
    private let bitrateIndex: Int
    private let sampleRateIndex: Int

    /// Decodes the header at the start of `bytes`, or nil when those 4 bytes are not a valid frame header.
    public init?(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        guard b0 == 0xFF, b1 & 0xE0 == 0xE0 else { return nil }
        switch (b1 >> 3) & 0x03 {
        case 0b11: version = .mpeg1
        case 0b10: version = .mpeg2
        case 0b00: version = .mpeg25
        default: return nil
        }
        switch (b1 >> 1) & 0x03 {
        case 0b11: layer = 1
        case 0b10: layer = 2
        case 0b01: layer = 3
        default: return nil
        }
        bitrateIndex = Int(b2 >> 4)
        guard bitrateIndex != 0, bitrateIndex != 15 else { return nil }
        sampleRateIndex = Int((b2 >> 2) & 0x03)
        guard sampleRateIndex != 3 else { return nil }
        bitrateKbps = Self.bitrates(version: version, layer: layer)[bitrateIndex - 1]
        sampleRate = Self.sampleRates(version)[sampleRateIndex]
        hasPadding = (b2 >> 1) & 0x01 == 1
        isMono = (b3 >> 6) == 0b11
    }

    /// Builds a header (used to synthesise audio in tests, benchmarks and the fake upstream).
    public init?(version: Version, layer: Int, bitrateKbps: Int, sampleRate: Int, hasPadding: Bool, isMono: Bool) {
        guard (1...3).contains(layer),
            let bitrateIndex = Self.bitrates(version: version, layer: layer).firstIndex(of: bitrateKbps),
            let rateIndex = Self.sampleRates(version).firstIndex(of: sampleRate)
        else { return nil }
        self.version = version
        self.layer = layer
        self.bitrateKbps = bitrateKbps
        self.sampleRate = sampleRate
        self.hasPadding = hasPadding
        self.isMono = isMono
        self.bitrateIndex = bitrateIndex + 1
        self.sampleRateIndex = rateIndex
    }

    /// The four header bytes (no CRC, not private, not copyrighted, original).
    public var bytes: [UInt8] {
        let versionBits: UInt8 =
            switch version {
            case .mpeg1: 0b11
            case .mpeg2: 0b10
            case .mpeg25: 0b00
            }
        let layerBits = UInt8(4 - layer)
        let bitrateIndex = UInt8(bitrateIndex)
        let rateIndex = UInt8(sampleRateIndex)
        return [
            0xFF,
            0xE0 | versionBits << 3 | layerBits << 1 | 0x01,
            bitrateIndex << 4 | rateIndex << 2 | (hasPadding ? 0x02 : 0),
            (isMono ? 0xC0 : 0x00) | 0x04,
        ]
    }

    /// Bytes in this frame, header included.
    public var frameLength: Int {
        let bitsPerSecond = bitrateKbps * 1000
        let padding = hasPadding ? 1 : 0
        switch (layer, version) {
        case (1, _): return (12 * bitsPerSecond / sampleRate + padding) * 4
        case (3, .mpeg2), (3, .mpeg25): return 72 * bitsPerSecond / sampleRate + padding
        default: return 144 * bitsPerSecond / sampleRate + padding
        }
    }

    /// PCM samples per channel this frame decodes to.
    public var samplesPerFrame: Int {
        switch (layer, version) {
        case (1, _): 384
        case (3, .mpeg2), (3, .mpeg25): 576
        default: 1152
        }
    }

    public var durationSeconds: Double { Double(samplesPerFrame) / Double(sampleRate) }

    /// Where a Xing/Info tag sits inside the first frame: after the header and the side information.
    var xingOffset: Int {
        switch (version, isMono) {
        case (.mpeg1, true): 4 + 17
        case (.mpeg1, false): 4 + 32
        case (_, true): 4 + 9
        case (_, false): 4 + 17
        }
    }

    static func sampleRates(_ version: Version) -> [Int] {
        switch version {
        case .mpeg1: [44100, 48000, 32000]
        case .mpeg2: [22050, 24000, 16000]
        case .mpeg25: [11025, 12000, 8000]
        }
    }

    static func bitrates(version: Version, layer: Int) -> [Int] {
        switch (version, layer) {
        case (.mpeg1, 1): [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448]
        case (.mpeg1, 2): [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384]
        case (.mpeg1, _): [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        case (_, 1): [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
        default: [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
        }
    }
}
