/// A WebVTT file with one cue per sentence (`GET /api/voice/{hash}/alignment?format=vtt`): captions for the
/// `<track>` element and for players that show text along with audio.
public enum WebVTTDocument {
    /// - Parameter follows: which text the cues follow (`written` or `spoken`), said in a `NOTE` block.
    public static func render(_ segments: TimedSegments, follows: String? = nil) -> String {
        var out = "WEBVTT\n"
        if let follows { out += "\nNOTE timings follow the \(follows) text\n" }
        for (number, sentence) in segments.sentences.enumerated() {
            out += "\n\(number + 1)\n"
            out +=
                timestamp(sentence.startMilliseconds) + " --> " + timestamp(max(sentence.endMilliseconds, sentence.startMilliseconds + 1))
                + "\n"
            out += escaped(sentence.text) + "\n"
        }
        return out
    }

    /// `hh:mm:ss.ttt`, as WebVTT requires (hours always present, so any length works).
    static func timestamp(_ milliseconds: UInt32) -> String {
        let total = Int(milliseconds)
        let hours = total / 3_600_000
        let minutes = total / 60_000 % 60
        let seconds = total / 1000 % 60
        let millis = total % 1000
        return pad(hours, 2) + ":" + pad(minutes, 2) + ":" + pad(seconds, 2) + "." + pad(millis, 3)
    }

    /// Cue text cannot hold `-->` or a blank line, and `&` and `<` start entities and tags. Not
    /// `MarkupEscaping`: WebVTT knows only a few character references, and `&quot;` would show as written.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\n", "\r": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
