/// The check and the duration of a whole file in any output format: MP3 frames (`MP3Inspector`), Ogg Opus pages
/// (`OggOpusInspector`), WAV chunks (`WAVInspector`) or sample arithmetic (`RawAudioInspector`). What a stored
/// file of that format must pass, and where its duration comes from: the data, never a guess.
public enum AudioInspection {
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public let codec: AudioFormat.Codec
        public let reason: String
        public var description: String { "not valid \(codec.rawValue) audio: \(reason)" }
    }

    public static func durationSeconds(_ bytes: [UInt8], format: AudioFormat) throws(Failure) -> Double {
        func failing<T>(_ body: () throws -> T) throws(Failure) -> T {
            do { return try body() } catch { throw Failure(codec: format.codec, reason: "\(error)") }
        }
        switch format.codec {
        case .mp3: return try failing { try MP3Inspector.inspect(bytes).durationSeconds }
        case .opus: return try failing { try OggOpusInspector.inspect(bytes).durationSeconds }
        case .wav:
            let info = try failing { try WAVInspector.inspect(bytes) }
            guard info.sampleRate == format.sampleRate, info.channels == 1 else {
                throw Failure(codec: .wav, reason: "\(info.sampleRate) Hz × \(info.channels) channels, not \(format.sampleRate) Hz mono")
            }
            return info.durationSeconds
        case .pcm, .ulaw, .alaw: return try failing { try RawAudioInspector.durationSeconds(byteCount: bytes.count, format: format) }
        }
    }
}
