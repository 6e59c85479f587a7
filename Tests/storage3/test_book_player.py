"""The book player (/listen/{bookId}) in headless Chromium, opened from a player link: the chapter list, the text
following the voice, speed (remembered), a seek marking the spoken sentence, the position saved and resumed after a
reload, on to the next chapter when one ends, keyboard shortcuts, Media Session metadata, no console errors; at a
desktop and a phone viewport, screenshots kept at .build/artifacts/book-player-*.png. The audio is real offline
speech (espeak-ng) whose sentence timings are measured."""
import os

import httpx
import pytest
from playwright.sync_api import expect

from conftest import KEY, ROOT

ARTIFACTS = os.path.join(ROOT, ".build", "artifacts")
BOOK = "voyage"
CHAPTERS = [
    ("departure", 0, "The Departure", "The ship left the harbour at dawn. Gulls followed it out past the breakwater."),
    ("storm", 1, "The Storm", "By noon the sky had turned grey. The crew tied everything down and waited."),
]


@pytest.fixture(scope="module")
def book(server):
    made = []
    for chapter_id, index, title, text in CHAPTERS:
        answer = httpx.post(f"{server.base}/api/voice", headers={"Authorization": f"Bearer {KEY}"}, timeout=60,
                            json={"text": text, "voiceId": "21m00Tcm4TlvDq8ikWAM", "bookId": BOOK, "chapterId": chapter_id,
                                  "chapterIndex": index, "chapterTitle": title})
        assert answer.status_code == 200, answer.text
        record = answer.json()
        timings = httpx.get(f"{server.base}/api/voice/{record['contentHash']}/alignment").json()
        made.append((record, timings["sentences"]))
    link = httpx.post(f"{server.base}/api/books/{BOOK}/player-link", headers={"Authorization": f"Bearer {KEY}"},
                      json={"listener": "reader-7", "expiresIn": 3600})
    assert link.status_code == 200, link.text
    return made, link.json()["url"]


def watch(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}") if answer.status >= 400 else None)
    return errors


def wait_for(page, predicate, what, tries=200):
    for _ in range(tries):
        if predicate():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_player_follows_saves_resumes_and_moves_on(server, browser, book):
    made, url = book
    (first, first_sentences), (second, second_sentences) = made
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = watch(page)
    response = page.goto(server.base + url)
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]

    chapters = page.locator("#chapters [data-chapter]")
    expect(chapters).to_have_count(2)
    expect(chapters.nth(0)).to_have_attribute("aria-current", "true")
    expect(page.locator("#chapter-title")).to_have_text("The Departure")
    marks = page.locator("main [data-sentence]")
    expect(marks).to_have_count(len(first_sentences))
    assert page.evaluate("navigator.mediaSession.metadata && navigator.mediaSession.metadata.title") == "The Departure"
    assert page.evaluate("navigator.mediaSession.metadata.album") == BOOK

    # Speed: applied at once and remembered.
    page.select_option("#speed", "1.5")
    audio = page.locator("audio#player")
    assert audio.evaluate("a => a.playbackRate") == 1.5
    assert page.evaluate("localStorage.getItem('voicevault.speed')") == "1.5"

    # A seek marks the sentence spoken then; pausing there saves the place, as text.
    target = first_sentences[1]
    audio.evaluate("(a, t) => { a.play().then(() => { a.pause(); a.currentTime = t; }); }", target["start"] + 0.05)
    expect(marks.nth(1)).to_have_attribute("aria-current", "true")
    audio.evaluate("a => { a.play().then(() => a.pause()); }")
    expect(page.locator('#save-status[data-saved="true"]')).to_have_count(1)
    saved = httpx.get(f"{server.base}/api/books/{BOOK}/position?listener=reader-7", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert saved["chapterId"] == "departure" and saved["char"] == target["characterStart"], (saved, target)

    # A reload resumes there, at the speed chosen before.
    page.reload()
    expect(page.locator("#save-status")).to_contain_text("Resumed")
    wait_for(page, lambda: abs(audio.evaluate("a => a.currentTime") - target["start"]) < 0.3, "the resumed time")
    assert page.locator("#speed").input_value() == "1.5" and audio.evaluate("a => a.playbackRate") == 1.5

    # At the end of a chapter the player goes on to the next, text and all.
    audio.evaluate("a => { a.currentTime = Math.max(0, a.duration - 0.3); a.play(); }")
    expect(page.locator("#chapter-title")).to_have_text("The Storm", timeout=15000)
    expect(chapters.nth(1)).to_have_attribute("aria-current", "true")
    expect(marks).to_have_count(len(second_sentences))
    assert page.evaluate("navigator.mediaSession.metadata.title") == "The Storm"

    # Keyboard: k goes back a chapter, j forward, space plays and pauses.
    page.locator("body").press("k")
    expect(page.locator("#chapter-title")).to_have_text("The Departure")
    page.locator("body").press("j")
    expect(page.locator("#chapter-title")).to_have_text("The Storm")
    audio.evaluate("a => a.pause()")
    page.locator("body").press(" ")
    wait_for(page, lambda: not audio.evaluate("a => a.paused"), "playing after space")
    page.locator("body").press(" ")
    wait_for(page, lambda: audio.evaluate("a => a.paused"), "paused after space")

    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "book-player-desktop.png"), full_page=True)
    assert errors == []
    context.close()


def test_the_player_reads_on_a_phone_and_without_a_link_says_it_saves_nothing(server, browser, book):
    made, _ = book
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  color_scheme="dark")
    page = context.new_page()
    errors = watch(page)
    # A chapter's own address opens the same player at that chapter.
    assert page.goto(f"{server.base}/listen/{BOOK}/{made[1][0]['contentHash']}").status == 200
    expect(page.locator("#chapters [data-chapter]").nth(1)).to_have_attribute("aria-current", "true")
    expect(page.locator("#save-status")).to_contain_text("not saved")
    # One column: the chapter list above the text, nothing wider than the screen.
    nav = page.locator("nav").bounding_box()
    main = page.locator("main").bounding_box()
    assert nav["y"] < main["y"], (nav, main)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(251, 250, 247)"  # the dark scheme
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "book-player-phone.png"), full_page=True)
    assert errors == []
    context.close()
