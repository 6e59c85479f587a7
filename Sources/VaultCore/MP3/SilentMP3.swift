/// Synthesises valid MPEG-1 Layer III audio that decodes to silence: frames whose side information is zero
/// carry no samples. Used by tests, benchmarks, the crash drill and the fake upstream, where real speech is
/// not the point but real, walkable MP3 structure is.
public enum SilentMP3 {
    /// `frames` frames of 128 kbps, 44.1 kHz stereo (26.1 ms each; 417 or 418 bytes, padded the way an
    /// encoder pads to hold the exact bitrate). `xingHeader` adds a leading Info frame with the frame count.
    public static func make(frames: Int, xingHeader: Bool = false, seed: UInt8 = 0) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity((frames + 1) * 418)
        if xingHeader {
            output += frame(padded: false, payloadSeed: 0) { body in
                let tag = 32  // MPEG-1 stereo side information size
                let count = UInt32(frames)
                let fields: [UInt8] =
                    Array("Info".utf8) + [0, 0, 0, 1]
                    + [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
                body.replaceSubrange(tag..<(tag + fields.count), with: fields)
            }
        }
        // Padding pattern of a 128 kbps / 44.1 kHz stream: 417.959... bytes per frame on average.
        var remainder = 0
        for index in 0..<frames {
            remainder += 128_000 * 144 % 44_100
            let padded = remainder >= 44_100
            if padded { remainder -= 44_100 }
            output += frame(padded: padded, payloadSeed: seed &+ UInt8(truncatingIfNeeded: index)) { _ in }
        }
        return output
    }

    /// Audio lasting at least `seconds` (rounded up to whole frames).
    public static func make(seconds: Double, xingHeader: Bool = false, seed: UInt8 = 0) -> [UInt8] {
        make(frames: max(1, Int((seconds * 44_100 / 1152).rounded(.up))), xingHeader: xingHeader, seed: seed)
    }

    /// One frame; the last byte of main data carries `payloadSeed` so different seeds give different bytes
    /// (side information stays zero, so it still decodes as silence).
    private static func frame(padded: Bool, payloadSeed: UInt8, _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        let header = MP3FrameHeader(
            version: .mpeg1, layer: 3, bitrateKbps: 128, sampleRate: 44_100, hasPadding: padded, isMono: false)!
        var body = [UInt8](repeating: 0, count: header.frameLength - 4)
        body[body.count - 1] = payloadSeed
        edit(&body)
        return header.bytes + body
    }
}
