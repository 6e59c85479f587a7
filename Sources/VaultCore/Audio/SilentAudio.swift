/// Silence in any ElevenLabs output format, lasting a given time: what the fake upstream answers for a format,
/// and what tests store. MP3 is `SilentMP3`'s; the others are written here to the letter of their containers,
/// so that `AudioInspection` accepts them and a browser plays the playable ones.
public enum SilentAudio {
    /// `seconds` of silence in `format`; `seed` varies the bytes (not the sound) where the format allows, so two
    /// texts of one length make two files.
    public static func make(_ format: AudioFormat, seconds: Double, seed: UInt8 = 0) -> [UInt8] {
        let samples = max(1, Int((seconds * Double(format.sampleRate)).rounded()))
        switch format.codec {
        case .mp3:
            return SilentMP3.make(seconds: seconds, xingHeader: true, seed: seed)
        case .pcm:
            // Silence is zero; the seed goes in the least significant bit of the first sample, inaudible.
            var bytes = [UInt8](repeating: 0, count: samples * 2)
            bytes[0] = seed & 1
            return bytes
        case .ulaw:
            return [UInt8](repeating: 0xFF, count: samples)
        case .alaw:
            return [UInt8](repeating: 0xD5, count: samples)
        case .wav:
            var pcm = [UInt8](repeating: 0, count: samples * 2)
            pcm[0] = seed & 1
            return PCMWave(channels: 1, sampleRate: format.sampleRate, bitsPerSample: 16, samples: pcm).bytes
        case .opus:
            return oggOpus(packets: max(1, Int((seconds / 0.02).rounded())), seed: seed)
        }
    }

    /// An Ogg Opus stream of `packets` 20 ms packets of silence, fifty to a page: OpusHead (mono, pre-skip 312
    /// as libopus writes it) alone on the first page, OpusTags, the audio pages with their granule positions,
    /// the last one ending the stream. Each packet is a one-byte CELT frame header with no payload (TOC
    /// `0xF8`: fullband CELT, 20 ms, one frame), which decoders render as silence.
    static func oggOpus(packets: Int, seed: UInt8) -> [UInt8] {
        let preSkip = 312
        var writer = OggPageWriter(serial: 0x5656_0000 | UInt32(seed))
        let head = Array("OpusHead".utf8) + [1, 1, UInt8(preSkip & 0xFF), UInt8(preSkip >> 8), 0x80, 0xBB, 0, 0, 0, 0, 0]
        writer.page([head], flags: 0x02, granule: 0)
        writer.page([Array("OpusTags".utf8) + [10, 0, 0, 0] + Array("VoiceVault".utf8) + [0, 0, 0, 0]], flags: 0, granule: 0)
        var written = 0
        while written < packets {
            let count = min(50, packets - written)
            written += count
            writer.page(
                Array(repeating: [0xF8], count: count), flags: written == packets ? 0x04 : 0,
                granule: UInt64(written * 960))
        }
        return writer.bytes
    }
}

/// Ogg pages (RFC 3533) for one logical stream, each with its lacing and CRC.
struct OggPageWriter {
    let serial: UInt32
    private(set) var bytes: [UInt8] = []
    private var sequence: UInt32 = 0

    init(serial: UInt32) { self.serial = serial }

    mutating func page(_ packets: [[UInt8]], flags: UInt8, granule: UInt64) {
        var lacing = [UInt8]()
        for packet in packets {
            var length = packet.count
            while length >= 255 {
                lacing.append(255)
                length -= 255
            }
            lacing.append(UInt8(length))
        }
        let start = bytes.count
        bytes += Array("OggS".utf8) + [0, flags]
        append(granule, 8)
        append(UInt64(serial), 4)
        append(UInt64(sequence), 4)
        append(0, 4)
        bytes.append(UInt8(lacing.count))
        bytes += lacing
        for packet in packets { bytes += packet }
        let crc = OggOpusInspector.checksum(bytes[start...], checksumAt: start + 22)
        for index in 0..<4 { bytes[start + 22 + index] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * index)) }
        sequence += 1
    }

    private mutating func append(_ value: UInt64, _ count: Int) {
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * index))) }
    }
}
