/// What an MP3 file is, read from its frames.
public struct MP3Info: Equatable, Sendable {
    public enum DurationSource: String, Sendable {
        /// The Xing/Info frame count (LAME and most encoders write one).
        case xingHeader
        /// The VBRI frame count (Fraunhofer encoders).
        case vbriHeader
        /// Every frame counted one by one.
        case frameWalk
    }

    public let durationSeconds: Double
    public let durationSource: DurationSource
    /// Audio frames (a Xing/VBRI frame carries no audio and is not counted).
    public let audioFrameCount: Int
    public let sampleRate: Int
    /// Average bitrate over the audio frames.
    public let averageBitrateKbps: Int
    /// Bytes of the leading ID3v2 tag (0 when none).
    public let id3v2Length: Int
    /// Offset of the first frame (the Xing frame when there is one).
    public let firstFrameOffset: Int
    /// Offset of the first audio frame, after any Xing/VBRI frame: where concatenation starts copying.
    public let audioOffset: Int
    /// Offset just past the last complete frame.
    public let audioEnd: Int
    /// Bytes after `audioEnd` that are a recognised trailing tag (ID3v1, APE).
    public let trailingTagLength: Int
    /// Samples in the audio frames as walked, before any gapless trim.
    public let walkedSampleCount: Int

    /// How long the audio frames play with nothing trimmed: their length once joined to other audio.
    public var untrimmedDurationSeconds: Double { Double(walkedSampleCount) / Double(sampleRate) }
}

/// Why bytes are not a playable MP3.
public enum MP3Error: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case noFrameSync
    /// The last frame is cut short or followed by bytes that are neither frames nor a tag.
    case truncated(validBytes: Int, totalBytes: Int)

    public var description: String {
        switch self {
        case .empty: "the audio is empty"
        case .noFrameSync: "no MPEG audio frames found: not an MP3"
        case let .truncated(valid, total): "the MP3 is truncated or damaged after byte \(valid) of \(total)"
        }
    }
}
