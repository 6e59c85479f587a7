/// Text made safe for HTML and XML, in element content and in quoted attributes alike: the five characters
/// that could end a value or start markup become entities. One rule for every document VoiceVault writes from
/// a chapter's text (listen mode, media overlays, captions).
public enum MarkupEscaping {
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
