import Foundation
import VaultCore

/// Listen mode's page for one chapter: the text as sentences, each an element with `data-sentence` and its
/// start and end times, beside one `<audio>` playing the asset from `/audio` (ranges, so seeking works). The
/// script marks the sentence being spoken with `aria-current="true"`, follows playback and seeking, scrolls
/// it into view unless the reader turns that off, and seeks when a sentence is clicked.
///
/// Rendered on the server from the stored alignment: no build step, no CDN, nothing fetched after load
/// but the audio.
enum ListenPage {
    struct Chapter {
        let book: String
        let record: AssetRecord
        let segments: TimedSegments?
        /// The alignment's entries, which the segments' character ranges index.
        let characters: [String]
    }

    static func html(_ chapter: Chapter) -> String {
        let record = chapter.record
        let audio = "/audio/\(chapter.book)/\(record.contentHash).mp3"
        let created = ISO8601Timestamp.day(secondsSince1970: record.createdAt)
        let cost = record.characterCost.flatMap { $0 > 0 ? " · cost \($0) characters once" : nil } ?? ""
        var body = ""
        if let segments = chapter.segments, !segments.sentences.isEmpty {
            body += "<p>"
            let characters = chapter.characters
            var previousEnd = 0
            for (number, sentence) in segments.sentences.enumerated() {
                // A blank line between two sentences in the text is a paragraph break on the page.
                let gap = characters[
                    min(previousEnd, characters.count)..<min(max(previousEnd, sentence.characterRange.lowerBound), characters.count)
                ].joined()
                if number > 0 { body += gap.contains("\n\n") ? "</p>\n<p>" : " " }
                previousEnd = sentence.characterRange.upperBound
                body += """
                    <span class="sentence" id="s\(number + 1)" data-sentence="\(number + 1)" \
                    data-start="\(seconds(sentence.startMilliseconds))" data-end="\(seconds(sentence.endMilliseconds))" \
                    tabindex="0">\(escape(sentence.text))</span>
                    """
            }
            body += "</p>"
        } else {
            body = #"<p class="note">This audio was stored before VoiceVault kept timings, so its text cannot be followed here.</p>"#
        }
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Listen · \(escape(chapter.book))</title>
            <link rel="icon" href="/favicon.svg" type="image/svg+xml">
            <link rel="stylesheet" href="/listen/listen.css">
            <script src="/listen/listen.js" defer></script>
            </head>
            <body>
            <header>
              <audio id="player" controls preload="metadata" src="\(escape(audio))"></audio>
              <span id="cache-badge" class="badge" data-cached="true" title="\(escape(record.contentHash))">Cached · made \(created)\(cost) · served free</span>
              <label class="toggle"><input id="follow" type="checkbox" checked> Follow along</label>
            </header>
            <main id="text">
            \(body)
            </main>
            </body>
            </html>

            """
    }

    static let css = """
        body { font: 1.15rem/1.7 Georgia, "Times New Roman", serif; margin: 0; color: #1d1d1f; background: #fbfaf7; }
        header { position: sticky; top: 0; display: flex; flex-wrap: wrap; gap: .75rem; align-items: center;
                 padding: .75rem 1.25rem; background: #fff; border-bottom: 1px solid #ddd; font: .9rem system-ui, sans-serif; }
        header audio { flex: 1 1 20rem; }
        .badge { padding: .2rem .6rem; border-radius: 1rem; background: #e6f4ea; color: #137333; }
        main { max-width: 40rem; margin: 1.5rem auto 50vh; padding: 0 1.25rem; }
        .sentence { cursor: pointer; border-radius: .2rem; transition: background-color .15s; }
        .sentence:hover { background: #f1efe8; }
        .sentence[aria-current="true"] { background: #ffe58f; box-shadow: 0 0 0 .15rem #ffe58f; }
        .note { color: #666; font-style: italic; }
        """

    static let script = """
        "use strict";
        (function () {
          const audio = document.getElementById("player");
          const follow = document.getElementById("follow");
          const sentences = Array.from(document.querySelectorAll("[data-sentence]"));
          const starts = sentences.map((element) => parseFloat(element.dataset.start));
          let current = null;

          // The last sentence that starts at or before t (binary search: chapters have hundreds).
          function indexAt(t) {
            let low = 0, high = starts.length - 1, found = -1;
            while (low <= high) {
              const middle = (low + high) >> 1;
              if (starts[middle] <= t + 0.001) { found = middle; low = middle + 1; } else { high = middle - 1; }
            }
            return found;
          }

          function mark() {
            const index = indexAt(audio.currentTime);
            const next = index >= 0 ? sentences[index] : null;
            if (next === current) { return; }
            if (current) { current.removeAttribute("aria-current"); }
            current = next;
            if (!current) { return; }
            current.setAttribute("aria-current", "true");
            if (follow.checked) { current.scrollIntoView({ block: "center", behavior: "smooth" }); }
          }

          // timeupdate fires about four times a second; while playing, every frame keeps the mark exact.
          function frame() {
            mark();
            if (!audio.paused) { requestAnimationFrame(frame); }
          }

          function seek(element) {
            audio.currentTime = parseFloat(element.dataset.start);
            mark();
            audio.play().catch(() => {});
          }

          audio.addEventListener("timeupdate", mark);
          audio.addEventListener("seeked", mark);
          audio.addEventListener("play", () => requestAnimationFrame(frame));
          for (const element of sentences) {
            element.addEventListener("click", () => seek(element));
            element.addEventListener("keydown", (event) => {
              if (event.key === "Enter" || event.key === " ") { event.preventDefault(); seek(element); }
            });
          }
          mark();
        })();
        """

    static func seconds(_ milliseconds: UInt32) -> String {
        let millis = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - millis.count) + millis
    }

    static func escape(_ text: String) -> String { MarkupEscaping.escaped(text) }
}
