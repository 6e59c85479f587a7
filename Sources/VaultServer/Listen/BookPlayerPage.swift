import Foundation
import VaultCore

/// The book player (`/listen/{bookId}`, and `/listen/{bookId}/{hash}` opened at that chapter): the chapter list,
/// the current chapter's text following the voice, previous and next chapter (and on to the next when one
/// ends), playback speed (remembered), keyboard shortcuts, Media Session metadata and actions for lock screens
/// and headsets, and, with a player link's token, the listener's position saved and resumed.
///
/// The opening chapter's text is rendered here (`ListenPage.text`); the book's chapters travel in a JSON data
/// block the script reads (never executed, so the strict policy holds); other chapters' texts come from the
/// alignment route. No build step, no CDN: the script and style are served by `ListenRoutes`.
enum BookPlayerPage {
    struct Chapter: Encodable {
        let chapterId: String?
        let title: String
        let contentHash: String
        let audio: String
        let alignment: Bool
        let badge: String
    }

    struct Book: Encodable {
        let bookId: String
        let voice: String
        let start: Int
        let chapters: [Chapter]
    }

    static func html(_ book: Book, opening: ListenPage.Chapter) -> String {
        let current = book.chapters[book.start]
        let list = book.chapters.enumerated().map { index, chapter in
            let marked = index == book.start ? #" aria-current="true""# : ""
            return #"<li><button type="button" data-chapter="\#(index)"\#(marked)>\#(ListenPage.escape(chapter.title))</button></li>"#
        }.joined(separator: "\n")
        let data = String(decoding: (try? JSONEncoder().encode(book)) ?? Data("{}".utf8), as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c")
        let speeds = ["0.75", "1", "1.25", "1.5", "1.75", "2"].map {
            #"<option value="\#($0)"\#($0 == "1" ? " selected" : "")>\#($0)×</option>"#
        }.joined()
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">
            <title>\(ListenPage.escape(current.title)) · \(ListenPage.escape(book.bookId))</title>
            <link rel="icon" href="/favicon.svg" type="image/svg+xml">
            <link rel="stylesheet" href="/listen/player.css">
            <script src="/listen/player.js" defer></script>
            </head>
            <body>
            <header>
              <div class="now"><strong id="chapter-title">\(ListenPage.escape(current.title))</strong>
                <span id="cache-badge" class="badge" data-cached="true" title="\(ListenPage.escape(current.contentHash))">\(ListenPage.escape(current.badge))</span></div>
              <audio id="player" controls preload="metadata" src="\(ListenPage.escape(current.audio))"></audio>
              <div class="controls">
                <button id="previous" type="button" aria-label="Previous chapter" title="Previous chapter (k)">Previous</button>
                <button id="next" type="button" aria-label="Next chapter" title="Next chapter (j)">Next</button>
                <label>Speed <select id="speed">\(speeds)</select></label>
                <label class="toggle"><input id="follow" type="checkbox" checked> Follow along</label>
                <span id="save-status" role="status"></span>
              </div>
            </header>
            <div class="layout">
            <nav aria-label="Chapters"><h2>\(ListenPage.escape(book.bookId))</h2><ol id="chapters">
            \(list)
            </ol></nav>
            <main id="text">
            \(ListenPage.text(opening))
            </main>
            </div>
            <script type="application/json" id="book-data">\(data)</script>
            </body>
            </html>

            """
    }

    static let css = """
        :root { color-scheme: light dark; --bg: #fbfaf7; --fg: #1d1d1f; --bar: #fff; --line: #ddd; --mark: #ffe58f;
                --hover: #f1efe8; --badge-bg: #e6f4ea; --badge-fg: #137333; --muted: #666; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #16171a; --fg: #e8e6e1; --bar: #1f2024; --line: #33353a; --mark: #6b5a12; --hover: #2a2b30;
                  --badge-bg: #1e3a26; --badge-fg: #8fd19e; --muted: #a0a0a0; }
        }
        body { font: 1.15rem/1.7 Georgia, "Times New Roman", serif; margin: 0; color: var(--fg); background: var(--bg); }
        header { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; gap: .5rem .75rem; align-items: center;
                 padding: .6rem 1rem; background: var(--bar); border-bottom: 1px solid var(--line); font: .9rem system-ui, sans-serif; }
        header .now { flex: 1 1 100%; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        header audio { flex: 1 1 20rem; min-width: 0; width: 100%; }
        .controls { display: flex; flex-wrap: wrap; gap: .5rem .75rem; align-items: center; }
        .controls button, .controls select { font: inherit; padding: .3rem .6rem; border-radius: .4rem;
                 border: 1px solid var(--line); background: var(--bg); color: var(--fg); min-height: 2.25rem; }
        .badge { padding: .2rem .6rem; border-radius: 1rem; background: var(--badge-bg); color: var(--badge-fg); }
        #save-status { color: var(--muted); }
        .layout { display: grid; grid-template-columns: minmax(12rem, 16rem) 1fr; gap: 1rem; max-width: 64rem; margin: 0 auto; }
        nav { font: .95rem system-ui, sans-serif; padding: 1rem; border-right: 1px solid var(--line); }
        nav h2 { font-size: 1rem; margin: 0 0 .5rem; }
        nav ol { list-style: none; margin: 0; padding: 0; }
        nav button { width: 100%; text-align: left; font: inherit; color: inherit; background: none; border: 0;
                     padding: .4rem .5rem; border-radius: .3rem; cursor: pointer; }
        nav button:hover { background: var(--hover); }
        nav button[aria-current="true"] { background: var(--mark); font-weight: 600; }
        main { max-width: 40rem; margin: 1.5rem 0 50vh; padding: 0 1.25rem; }
        .sentence { cursor: pointer; border-radius: .2rem; transition: background-color .15s; }
        .sentence:hover { background: var(--hover); }
        .sentence[aria-current="true"] { background: var(--mark); box-shadow: 0 0 0 .15rem var(--mark); }
        .note { color: var(--muted); font-style: italic; }
        .speaker { display: block; font-size: .8rem; color: var(--muted); letter-spacing: .03em; }
        @media (max-width: 40rem) {
          .layout { grid-template-columns: 1fr; }
          nav { border-right: 0; border-bottom: 1px solid var(--line); padding: .5rem 1rem; }
          nav ol { display: flex; gap: .25rem; overflow-x: auto; }
          nav button { white-space: nowrap; }
          main { margin-top: 1rem; }
        }
        """

    static let script = """
        "use strict";
        (function () {
          const data = JSON.parse(document.getElementById("book-data").textContent);
          const audio = document.getElementById("player");
          const follow = document.getElementById("follow");
          const main = document.getElementById("text");
          const heading = document.getElementById("chapter-title");
          const badge = document.getElementById("cache-badge");
          const speed = document.getElementById("speed");
          const status = document.getElementById("save-status");
          const buttons = Array.from(document.querySelectorAll("#chapters [data-chapter]"));
          const token = new URLSearchParams(location.search).get("token");
          const api = "/api/books/" + encodeURIComponent(data.bookId) + "/player";
          let index = data.start, sentences = [], starts = [], current = null, lastSaved = null, savedAt = 0;

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
            const at = indexAt(audio.currentTime);
            const next = at >= 0 ? sentences[at] : null;
            if (next === current) { return; }
            if (current) { current.removeAttribute("aria-current"); }
            current = next;
            if (!current) { return; }
            current.setAttribute("aria-current", "true");
            if (follow.checked) { current.scrollIntoView({ block: "center", behavior: "smooth" }); }
          }

          function frame() { mark(); if (!audio.paused) { requestAnimationFrame(frame); } }

          function seek(element) {
            audio.currentTime = parseFloat(element.dataset.start);
            mark();
            audio.play().catch(() => {});
          }

          function bind() {
            sentences = Array.from(main.querySelectorAll("[data-sentence]"));
            starts = sentences.map((element) => parseFloat(element.dataset.start));
            current = null;
            for (const element of sentences) {
              element.addEventListener("click", () => seek(element));
              element.addEventListener("keydown", (event) => {
                if (event.key === "Enter" || event.key === " ") { event.preventDefault(); event.stopPropagation(); seek(element); }
              });
            }
            mark();
          }

          // A chapter's text from the alignment route: sentences in paragraphs, as the server renders the first.
          function render(timed) {
            main.textContent = "";
            let paragraph = document.createElement("p");
            main.appendChild(paragraph);
            let previousEnd = 0;
            timed.sentences.forEach((sentence, number) => {
              const gap = timed.alignment.characters.slice(previousEnd, Math.max(previousEnd, sentence.characterStart)).join("");
              if (number > 0) {
                if (gap.includes("\\n\\n")) { paragraph = document.createElement("p"); main.appendChild(paragraph); }
                else { paragraph.appendChild(document.createTextNode(" ")); }
              }
              previousEnd = sentence.characterEnd;
              const span = document.createElement("span");
              span.className = "sentence";
              span.id = "s" + (number + 1);
              span.dataset.sentence = String(number + 1);
              span.dataset.start = String(sentence.start);
              span.dataset.end = String(sentence.end);
              span.tabIndex = 0;
              span.textContent = sentence.text;
              paragraph.appendChild(span);
            });
          }

          function note(text) {
            main.textContent = "";
            const paragraph = document.createElement("p");
            paragraph.className = "note";
            paragraph.textContent = text;
            main.appendChild(paragraph);
          }

          function rate() { return parseFloat(speed.value) || 1; }

          function describe(chapter) {
            if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") { return; }
            navigator.mediaSession.metadata = new MediaMetadata({ title: chapter.title, artist: data.voice, album: data.bookId });
          }

          async function open(to, options) {
            if (to < 0 || to >= data.chapters.length) { return; }
            if (to !== index) { await save(true); }
            const chapter = data.chapters[to];
            const first = to === index && sentences.length === 0 && main.querySelector("[data-sentence], .note");
            index = to;
            buttons.forEach((button, at) => { if (at === to) { button.setAttribute("aria-current", "true"); } else { button.removeAttribute("aria-current"); } });
            heading.textContent = chapter.title;
            document.title = chapter.title + " · " + data.bookId;
            badge.textContent = chapter.badge;
            badge.title = chapter.contentHash;
            if (!audio.src.endsWith(chapter.audio)) { audio.src = chapter.audio; }
            audio.defaultPlaybackRate = rate();
            audio.playbackRate = rate();
            if (!first) {
              if (chapter.alignment) {
                try {
                  const answer = await fetch("/api/voice/" + chapter.contentHash + "/alignment");
                  if (answer.ok) { render(await answer.json()); } else { note("The text of this chapter could not be read."); }
                } catch (error) { note("The text of this chapter could not be read."); }
              } else {
                note("This audio was stored before VoiceVault kept timings, so its text cannot be followed here.");
              }
            }
            bind();
            describe(chapter);
            const at = options && options.at;
            if (at) {
              if (audio.readyState >= 1) { audio.currentTime = at; mark(); }
              else { audio.addEventListener("loadedmetadata", () => { audio.currentTime = at; mark(); }, { once: true }); }
            }
            if (options && options.play) { audio.play().catch(() => {}); }
          }

          // With a player link, the listener's place: saved while playing (every ten seconds), on pause, on a
          // change of chapter and when the page goes; resumed when the page opens.
          async function save(force) {
            const chapter = data.chapters[index];
            if (!token || !chapter || !chapter.chapterId) { return; }
            const t = audio.currentTime;
            if (!force && lastSaved !== null && Math.abs(t - lastSaved) < 0.5) { return; }
            lastSaved = t;
            savedAt = Date.now();
            try {
              const answer = await fetch(api + "/position?token=" + encodeURIComponent(token), {
                method: "POST", keepalive: true, headers: { "content-type": "application/json" },
                body: JSON.stringify({ contentHash: chapter.contentHash, seconds: t, at: Date.now() / 1000 }) });
              status.textContent = answer.ok ? "Position saved" : "Position not saved";
              status.dataset.saved = answer.ok ? "true" : "false";
            } catch (error) {
              status.textContent = "Position not saved";
              status.dataset.saved = "false";
            }
          }

          async function resume() {
            try {
              const answer = await fetch(api + "/position?token=" + encodeURIComponent(token) + "&voice=" + encodeURIComponent(data.voice));
              if (answer.status !== 200) { return; }
              const position = await answer.json();
              const to = data.chapters.findIndex((chapter) => chapter.chapterId === position.chapterId);
              if (to >= 0) { await open(to, { at: position.seconds || 0.001 }); status.textContent = "Resumed where you stopped"; }
            } catch (error) { /* no saved place: start at the beginning */ }
          }

          audio.addEventListener("timeupdate", () => {
            mark();
            if (!audio.paused && Date.now() - savedAt > 10000) { save(false); }
          });
          audio.addEventListener("seeked", mark);
          audio.addEventListener("play", () => requestAnimationFrame(frame));
          audio.addEventListener("pause", () => save(false));
          audio.addEventListener("ended", () => { if (index + 1 < data.chapters.length) { open(index + 1, { play: true }); } });
          addEventListener("pagehide", () => save(true));
          buttons.forEach((button, at) => button.addEventListener("click", () => open(at, { play: !audio.paused })));
          document.getElementById("previous").addEventListener("click", () => open(index - 1, { play: !audio.paused }));
          document.getElementById("next").addEventListener("click", () => open(index + 1, { play: !audio.paused }));

          const remembered = localStorage.getItem("voicevault.speed");
          if (remembered && Array.from(speed.options).some((option) => option.value === remembered)) { speed.value = remembered; }
          audio.defaultPlaybackRate = rate();
          audio.playbackRate = rate();
          speed.addEventListener("change", () => {
            audio.defaultPlaybackRate = rate();
            audio.playbackRate = rate();
            localStorage.setItem("voicevault.speed", speed.value);
          });

          document.addEventListener("keydown", (event) => {
            const tag = event.target && event.target.tagName;
            if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || event.ctrlKey || event.metaKey || event.altKey) { return; }
            if (event.key === " ") { event.preventDefault(); if (audio.paused) { audio.play().catch(() => {}); } else { audio.pause(); } }
            else if (event.key === "ArrowLeft") { event.preventDefault(); audio.currentTime = Math.max(0, audio.currentTime - 10); }
            else if (event.key === "ArrowRight") { event.preventDefault(); audio.currentTime = audio.currentTime + 10; }
            else if (event.key === "j") { open(index + 1, { play: !audio.paused }); }
            else if (event.key === "k") { open(index - 1, { play: !audio.paused }); }
          });

          if ("mediaSession" in navigator) {
            const actions = {
              play: () => audio.play().catch(() => {}), pause: () => audio.pause(),
              previoustrack: () => open(index - 1, { play: true }), nexttrack: () => open(index + 1, { play: true }),
              seekbackward: () => { audio.currentTime = Math.max(0, audio.currentTime - 10); },
              seekforward: () => { audio.currentTime = audio.currentTime + 10; },
              seekto: (details) => { if (typeof details.seekTime === "number") { audio.currentTime = details.seekTime; } },
            };
            for (const [action, handler] of Object.entries(actions)) {
              try { navigator.mediaSession.setActionHandler(action, handler); } catch (error) { /* not supported here */ }
            }
          }

          open(index, null);
          if (token) { resume(); }
          else { status.textContent = "Positions are not saved: open this page from your app's player link."; }
        })();
        """
}
