/// The PCM inside a RIFF/WAVE file, as espeak-ng writes it: enough to measure how long each spoken sentence is
/// and to join the sentences into one file for the encoder.
public struct PCMWave: Sendable, Equatable {
    public var channels: Int
    public var sampleRate: Int
    public var bitsPerSample: Int
    public var samples: [UInt8]

    public enum Failure: Error, Equatable {
        case notWave
        case missingChunk(String)
        case unsupportedFormat
    }

    public init(channels: Int, sampleRate: Int, bitsPerSample: Int, samples: [UInt8]) {
        self.channels = channels
        self.sampleRate = sampleRate
        self.bitsPerSample = bitsPerSample
        self.samples = samples
    }

    /// Parses the `fmt ` and `data` chunks, skipping any others. A `data` size past the end (a writer that
    /// could not seek back) is read as "to the end".
    public init(parsing bytes: [UInt8]) throws(Failure) {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8)
        else { throw .notWave }
        var cursor = 12
        var format: (channels: Int, rate: Int, bits: Int)?
        while cursor + 8 <= bytes.count {
            let id = bytes[cursor..<(cursor + 4)]
            let size = Int(Self.littleEndian(bytes, cursor + 4, 4))
            let body = cursor + 8
            if id.elementsEqual("fmt ".utf8) {
                guard body + 16 <= bytes.count, Self.littleEndian(bytes, body, 2) == 1 else { throw .unsupportedFormat }
                format = (
                    Int(Self.littleEndian(bytes, body + 2, 2)), Int(Self.littleEndian(bytes, body + 4, 4)),
                    Int(Self.littleEndian(bytes, body + 14, 2))
                )
            } else if id.elementsEqual("data".utf8) {
                guard let format else { throw .missingChunk("fmt ") }
                guard format.channels > 0, format.rate > 0, format.bits % 8 == 0, format.bits > 0 else { throw .unsupportedFormat }
                let end = min(bytes.count, body + size)
                self.init(
                    channels: format.channels, sampleRate: format.rate, bitsPerSample: format.bits,
                    samples: Array(bytes[body..<end]))
                return
            }
            cursor = body + size + (size & 1)
        }
        throw .missingChunk(format == nil ? "fmt " : "data")
    }

    public var frameBytes: Int { channels * bitsPerSample / 8 }

    /// Playing time in whole milliseconds.
    public var milliseconds: UInt32 {
        UInt32(clamping: samples.count / max(1, frameBytes) * 1000 / sampleRate)
    }

    /// The file: a 44-byte canonical header and the samples.
    public var bytes: [UInt8] {
        var out = Array("RIFF".utf8)
        Self.append(UInt32(clamping: 36 + samples.count), 4, to: &out)
        out += Array("WAVEfmt ".utf8)
        Self.append(16, 4, to: &out)
        Self.append(1, 2, to: &out)
        Self.append(UInt32(channels), 2, to: &out)
        Self.append(UInt32(sampleRate), 4, to: &out)
        Self.append(UInt32(sampleRate * frameBytes), 4, to: &out)
        Self.append(UInt32(frameBytes), 2, to: &out)
        Self.append(UInt32(bitsPerSample), 2, to: &out)
        out += Array("data".utf8)
        Self.append(UInt32(clamping: samples.count), 4, to: &out)
        return out + samples
    }

    static func littleEndian(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt32 {
        (0..<count).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }

    static func append(_ value: UInt32, _ count: Int, to out: inout [UInt8]) {
        for shift in 0..<count { out.append(UInt8(truncatingIfNeeded: value >> (8 * shift))) }
    }
}
