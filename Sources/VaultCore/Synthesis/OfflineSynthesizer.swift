import Foundation

/// Real speech with no account and no network: espeak-ng speaks the text to WAV, lame encodes it to the
/// requested MP3 format. For newcomers and offline demos; robotic, but the same API, cache and files.
///
/// Its audio is stored under its own model id, `offline_espeak_ng`, so it is never served for an ElevenLabs
/// request (or the other way round) once a key is configured.
public struct OfflineSynthesizer: SpeechSynthesizer {
    public static let modelId = "offline_espeak_ng"
    let espeak: String
    let lame: String

    /// Nil when espeak-ng or lame is not installed.
    public init?() {
        guard let espeak = Self.which("espeak-ng"), let lame = Self.which("lame") else { return nil }
        self.espeak = espeak
        self.lame = lame
    }

    public func resolve(_ spec: SpeechSpec) -> SpeechSpec {
        (try? spec.replacing(modelId: Self.modelId)) ?? spec
    }

    /// Speaks the text one sentence at a time (at most `maximumSegments` espeak-ng runs; beyond that,
    /// neighbouring sentences share a run), measures each sentence's WAV, joins them and encodes the whole once.
    /// So sentence boundaries are exact to the sample in the WAV (the MP3 encoder adds one frame of delay, which
    /// the stored duration trims), and characters within a sentence are spread evenly over its time.
    public func synthesize(_ spec: SpeechSpec) async throws -> Generation {
        let espeak = espeak
        let lame = lame
        return try await BlockingIO.run {
            let directory = NSTemporaryDirectory() + "voicevault-offline-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // espeak-ng speaks about 175 words per minute at speed 1.0.
            let wordsPerMinute = Int((175 * spec.voiceSettings.speed).rounded())
            let language = spec.languageCode ?? "en"
            // The text as untimed characters, to find its sentences with the rule every other timing uses.
            let untimed = SpeechAlignment.evenlySpread(spec.text, startMilliseconds: 0, endMilliseconds: 0)
            let characters = untimed.characters
            let segments = Self.segments(TimedSegments(untimed).sentences.map(\.characterRange), count: characters.count)
            var joined: PCMWave?
            var timed = [SpeechAlignment.Character]()
            for (number, segment) in segments.enumerated() {
                let textFile = directory + "/\(number).txt"
                let wav = directory + "/\(number).wav"
                try Data(characters[segment].map(\.text).joined().utf8).write(to: URL(fileURLWithPath: textFile))
                do {
                    try Self.run(espeak, ["-v", language, "-s", "\(wordsPerMinute)", "-f", textFile, "-w", wav])
                } catch let failure as ToolFailed {
                    // espeak-ng's own voice lookup decides which languages exist; a client asking for another one
                    // made a request this server cannot serve, which is not a server fault.
                    if failure.output.contains("voice does not exist") { throw VoiceError.unsupportedLanguage(language) }
                    throw VoiceError.synthesizerFailed(failure.description)
                }
                let wave: PCMWave
                do { wave = try PCMWave(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: wav)))) } catch {
                    throw VoiceError.synthesizerFailed("espeak-ng wrote an unreadable WAV: \(error)")
                }
                let start = joined?.milliseconds ?? 0
                if var whole = joined {
                    guard whole.sampleRate == wave.sampleRate, whole.frameBytes == wave.frameBytes else {
                        throw VoiceError.synthesizerFailed("espeak-ng changed its WAV format between sentences")
                    }
                    whole.samples += wave.samples
                    joined = whole
                } else {
                    joined = wave
                }
                let spread = SpeechAlignment.evenlySpread(
                    characters[segment].map(\.text).joined(), startMilliseconds: start, endMilliseconds: start + wave.milliseconds)
                timed += spread.characters
            }
            guard let joined else { throw VoiceError.synthesizerFailed("nothing to speak") }
            let wav = directory + "/speech.wav"
            let mp3 = directory + "/speech.mp3"
            try Data(joined.bytes).write(to: URL(fileURLWithPath: wav))
            let (rate, bitrate) = Self.lameSettings(spec.outputFormat)
            do {
                try Self.run(lame, ["--quiet", "-b", bitrate, "--resample", rate, wav, mp3])
            } catch let failure as ToolFailed {
                throw VoiceError.synthesizerFailed(failure.description)
            }
            // A scratch file outside the data directory: read as any file (FileSystem refuses links, for the data directory).
            return Generation(
                mp3: try InspectedMP3(Array(try Data(contentsOf: URL(fileURLWithPath: mp3)))), requestId: nil,
                characterCost: 0, attempts: 1, alignment: SpeechAlignment(characters: timed))
        }
    }

    /// Most espeak-ng runs one generation makes: a chapter of hundreds of sentences is spoken in this many runs
    /// of neighbouring sentences, keeping the cost of starting processes bounded.
    static let maximumSegments = 64

    /// Consecutive ranges covering `0..<count` exactly, cut at sentence starts, at most `maximumSegments` of
    /// them. Whitespace between sentences goes with the sentence before it, so every character is timed.
    static func segments(_ sentences: [Range<Int>], count: Int) -> [Range<Int>] {
        guard count > 0 else { return [] }
        var starts = sentences.map(\.lowerBound).filter { $0 > 0 }
        if starts.count >= maximumSegments {
            let stride = Double(starts.count + 1) / Double(maximumSegments)
            starts = (1..<maximumSegments).map { starts[min(starts.count - 1, Int(Double($0) * stride) - 1)] }
        }
        let cuts = [0] + Array(Set(starts)).sorted() + [count]
        return zip(cuts, cuts.dropFirst()).filter { $0 < $1 }.map { $0..<$1 }
    }

    /// `mp3_44100_128` -> (`44.1`, `128`).
    static func lameSettings(_ format: String) -> (rate: String, bitrate: String) {
        let parts = format.split(separator: "_")
        guard parts.count == 3, let hertz = Int(parts[1]) else { return ("44.1", "128") }
        let rate = hertz % 1000 == 0 ? String(hertz / 1000) : String(format: "%g", Double(hertz) / 1000)
        return (rate, String(parts[2]))
    }

    struct ToolFailed: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let output: String
        var description: String { "\(command) exited with \(status): \(output)" }
    }

    static func run(_ executable: String, _ arguments: [String]) throws {
        let (status, output) = try ChildProcess.run(executable, arguments, keep: 500)
        guard status == 0 else {
            throw ToolFailed(command: executable, status: status, output: String(decoding: output, as: UTF8.self))
        }
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
