import Foundation
import VaultCore

/// A chapter's text as listen mode shows it: sentences, each an element with `data-sentence`, its id `sN` (the
/// ids the media overlays name) and its start and end times, from the stored alignment. The book player
/// (`BookPlayerPage`) renders its opening chapter with this on the server; the script renders the others the
/// same way from the alignment route.
enum ListenPage {
    struct Chapter {
        let book: String
        let record: AssetRecord
        let segments: TimedSegments?
        /// The alignment's entries, which the segments' character ranges index.
        let characters: [String]
        /// A dialogue's segments: each line is shown as a paragraph of its own, with its speaker.
        var voices: [SpeechAlignment.VoiceSegment]? = nil
        /// Whether the voice says the text otherwise than it is written (normalised numbers, a dictionary's
        /// pronunciations): the page then says that its highlighting follows the written text.
        var spokenDiffers = false
    }

    /// The chapter's text as the page shows it: sentences in paragraphs (a blank line between two sentences in
    /// the text is a paragraph break), or a note when the audio has no timings.
    static func text(_ chapter: Chapter) -> String {
        guard let segments = chapter.segments, !segments.sentences.isEmpty else {
            return #"<p class="note">This audio was stored before VoiceVault kept timings, so its text cannot be followed here.</p>"#
        }
        var body =
            chapter.spokenDiffers
            ? #"<p class="note" data-timings="written">Highlighting follows the text as written; the voice says some of it otherwise (numbers spelled out, say).</p>"#
                + "\n" : ""
        let characters = chapter.characters
        var previousEnd = 0
        var line: SpeechAlignment.VoiceSegment?
        for (number, sentence) in segments.sentences.enumerated() {
            let gap = characters[
                min(previousEnd, characters.count)..<min(max(previousEnd, sentence.characterRange.lowerBound), characters.count)
            ].joined()
            // In a dialogue, the line a sentence begins in: a new line is a new paragraph, led by its speaker.
            let speaking = chapter.voices?.first {
                $0.characterStart <= sentence.characterRange.lowerBound && sentence.characterRange.lowerBound < $0.characterEnd
            }
            if number == 0 {
                body += speaking.map(Self.lineOpening) ?? "<p>"
            } else if let speaking, speaking.line != line?.line {
                body += "</p>\n" + Self.lineOpening(speaking)
            } else {
                body += gap.contains("\n\n") ? "</p>\n<p>" : " "
            }
            if speaking != nil { line = speaking }
            previousEnd = sentence.characterRange.upperBound
            body += """
                <span class="sentence" id="s\(number + 1)" data-sentence="\(number + 1)" \
                data-start="\(seconds(sentence.startMilliseconds))" data-end="\(seconds(sentence.endMilliseconds))" \
                tabindex="0">\(escape(sentence.text))</span>
                """
        }
        return body + "</p>"
    }

    /// A dialogue line's paragraph, opened with who speaks it.
    static func lineOpening(_ segment: SpeechAlignment.VoiceSegment) -> String {
        #"<p class="line" data-voice="\#(escape(segment.voiceId))"><b class="speaker">\#(escape(segment.voiceId))</b> "#
    }

    /// The badge of a rendition: cached, when it was made, what it cost once.
    static func badge(createdAt: Double, characterCost: Int?) -> String {
        let created = ISO8601Timestamp.day(secondsSince1970: createdAt)
        let cost = characterCost.flatMap { $0 > 0 ? " · cost \($0) characters once" : nil } ?? ""
        return "Cached · made \(created)\(cost) · served free"
    }

    static func seconds(_ milliseconds: UInt32) -> String {
        let millis = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - millis.count) + millis
    }

    static func escape(_ text: String) -> String { MarkupEscaping.escaped(text) }
}
