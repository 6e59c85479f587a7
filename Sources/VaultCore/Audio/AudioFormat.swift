/// An ElevenLabs `output_format` (`codec_samplerate[_bitrate]`) as a value: what file it makes, under which
/// name and type, and how its bytes are checked (`AudioInspection`).
///
/// Every value of `OutputFormat.all` parses; nothing else does. Each format is its own asset (the format is
/// hashed), stored as `<bookId>/<hash>.<fileExtension>`.
public struct AudioFormat: Sendable, Hashable {
    public enum Codec: String, Sendable, CaseIterable {
        /// MPEG-1/2 Layer III frames.
        case mp3
        /// Opus in Ogg pages, 48 kHz.
        case opus
        /// Raw signed 16-bit little-endian mono samples.
        case pcm
        /// A RIFF/WAVE file holding 16-bit PCM.
        case wav
        /// Raw G.711 µ-law, one byte per sample (telephony: Twilio's media streams).
        case ulaw
        /// Raw G.711 A-law, one byte per sample.
        case alaw
    }

    public let codec: Codec
    public let sampleRate: Int
    /// Kilobits per second, for the compressed codecs.
    public let kilobitsPerSecond: Int?

    /// The format of an `output_format` value; nil for anything `OutputFormat.all` does not hold.
    public init?(outputFormat: String) {
        guard OutputFormat.all.contains(outputFormat) else { return nil }
        let parts = outputFormat.split(separator: "_")
        guard parts.count >= 2, let codec = Codec(rawValue: String(parts[0])), let rate = Int(parts[1]) else { return nil }
        self.codec = codec
        self.sampleRate = rate
        self.kilobitsPerSecond = parts.count > 2 ? Int(parts[2]) : nil
    }

    /// The stored file's extension (without the dot): the codec's name.
    public var fileExtension: String { codec.rawValue }

    /// The extension of an asset recorded with `outputFormat`; `mp3` for a value no format parses (a record
    /// from before formats were checked keeps the name it was stored under).
    public static func fileExtension(of outputFormat: String) -> String {
        outputFormat.hasPrefix("mp3_") ? "mp3" : AudioFormat(outputFormat: outputFormat)?.fileExtension ?? "mp3"
    }

    /// Every extension a stored audio file can have.
    public static let fileExtensions: Set<String> = Set(Codec.allCases.map(\.rawValue))

    /// The `Content-Type` of an asset recorded with `outputFormat` (`audio/mpeg` as for `fileExtension(of:)`).
    public static func contentType(of outputFormat: String) -> String {
        outputFormat.hasPrefix("mp3_") ? "audio/mpeg" : AudioFormat(outputFormat: outputFormat)?.contentType ?? "audio/mpeg"
    }

    /// The `Content-Type` the file is served with. Raw PCM has no registered type for little-endian samples
    /// (`audio/L16` is big-endian), so it is `audio/pcm` with its rate; µ-law at 8 kHz mono is exactly
    /// `audio/basic` (RFC 2046).
    public var contentType: String {
        switch codec {
        case .mp3: "audio/mpeg"
        case .opus: "audio/ogg; codecs=opus"
        case .pcm: "audio/pcm;rate=\(sampleRate);channels=1"
        case .wav: "audio/wav"
        case .ulaw: "audio/basic"
        case .alaw: "audio/x-alaw-basic"
        }
    }

    /// Whether upstream streams it (`/stream` routes): every format but WAV.
    public var isStreamedUpstream: Bool { codec != .wav }

    /// Whether a browser's `<audio>` plays the file as served (the listen page offers only these).
    public var playsInBrowsers: Bool { codec == .mp3 || codec == .opus || codec == .wav }

    /// Bytes per second of the raw codecs, whose duration is exact arithmetic on the size.
    var rawBytesPerSecond: Int? {
        switch codec {
        case .pcm: sampleRate * 2
        case .ulaw, .alaw: sampleRate
        case .mp3, .opus, .wav: nil
        }
    }
}
