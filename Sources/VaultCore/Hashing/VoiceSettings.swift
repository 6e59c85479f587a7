/// ElevenLabs voice settings with their defaults applied, quantised to 1/10,000.
///
/// Quantising gives every setting exactly one decimal spelling in the canonical encoding (no `0.1 + 0.2`
/// surprises, no `-0.0`, no exponent formats that differ between languages), and we send the quantised value
/// upstream, so the hash always describes exactly what was generated. A difference below 1/10,000 does not
/// change what ElevenLabs produces in any audible way.
public struct VoiceSettings: Sendable, Hashable {
    /// Values in ten-thousandths: 5000 means 0.5.
    public let stabilityE4: Int
    public let similarityBoostE4: Int
    public let styleE4: Int
    public let useSpeakerBoost: Bool
    public let speedE4: Int

    public static let defaultStability = 0.5
    public static let defaultSimilarityBoost = 0.75
    public static let defaultStyle = 0.0
    public static let defaultUseSpeakerBoost = true
    public static let defaultSpeed = 1.0
    /// ElevenLabs documents speed as 0.7...1.2.
    public static let speedRange: ClosedRange<Double> = 0.7...1.2
    public static let unitRange: ClosedRange<Double> = 0.0...1.0

    public static let defaults = VoiceSettings(
        stabilityE4: 5000, similarityBoostE4: 7500, styleE4: 0, useSpeakerBoost: true, speedE4: 10000)

    private init(stabilityE4: Int, similarityBoostE4: Int, styleE4: Int, useSpeakerBoost: Bool, speedE4: Int) {
        self.stabilityE4 = stabilityE4
        self.similarityBoostE4 = similarityBoostE4
        self.styleE4 = styleE4
        self.useSpeakerBoost = useSpeakerBoost
        self.speedE4 = speedE4
    }

    /// Applies defaults to the omitted settings and validates ranges. Every setting that is given must be a
    /// finite number inside its range; `nil` means "the default", never "whatever the voice has stored".
    public init(
        stability: Double? = nil,
        similarityBoost: Double? = nil,
        style: Double? = nil,
        useSpeakerBoost: Bool? = nil,
        speed: Double? = nil
    ) throws(SpeechSpecError) {
        self.stabilityE4 = try Self.quantize(stability ?? Self.defaultStability, field: "stability", range: Self.unitRange)
        self.similarityBoostE4 = try Self.quantize(
            similarityBoost ?? Self.defaultSimilarityBoost, field: "similarity_boost", range: Self.unitRange)
        self.styleE4 = try Self.quantize(style ?? Self.defaultStyle, field: "style", range: Self.unitRange)
        self.useSpeakerBoost = useSpeakerBoost ?? Self.defaultUseSpeakerBoost
        self.speedE4 = try Self.quantize(speed ?? Self.defaultSpeed, field: "speed", range: Self.speedRange)
    }

    public var stability: Double { Double(stabilityE4) / 10_000 }
    public var similarityBoost: Double { Double(similarityBoostE4) / 10_000 }
    public var style: Double { Double(styleE4) / 10_000 }
    public var speed: Double { Double(speedE4) / 10_000 }

    static func quantize(_ value: Double, field: String, range: ClosedRange<Double>) throws(SpeechSpecError) -> Int {
        guard value.isFinite, range.contains(value) else {
            throw .settingOutOfRange(field: field, value: value, range: range)
        }
        // Round half away from zero, then drop the sign of zero.
        return Int((value * 10_000).rounded(.toNearestOrAwayFromZero)) + 0
    }

    /// Fixed four-decimal spelling used by the canonical encoding: 5000 -> "0.5000", 10000 -> "1.0000".
    static func decimalString(_ e4: Int) -> String {
        let whole = e4 / 10_000
        let fraction = e4 % 10_000
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
