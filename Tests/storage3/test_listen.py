"""Listen mode (/listen/{bookId}/{contentHash}) in headless Chromium: the chapter as sentences beside one <audio>,
the sentence being spoken marked with aria-current="true", following playback and seeking. The audio is real
offline speech (espeak-ng), whose sentence timings are measured. A screenshot is kept at .build/artifacts/listen.png.
"""
import os

import httpx
import pytest
from playwright.sync_api import expect

from conftest import ROOT, media_duration

ARTIFACTS = os.path.join(ROOT, ".build", "artifacts")
TEXT = ("The lighthouse keeper climbed the stairs. Every evening he lit the lamp.\n\n"
        "Ships passed safely in the night. Nobody ever thanked him, and he never minded.")


@pytest.fixture(scope="module")
def chapter(server, generate):
    made = generate(TEXT, "lighthouse")
    timings = httpx.get(f"{server.base}/api/voice/{made['contentHash']}/alignment").json()
    return made, timings["sentences"]


def test_the_page_plays_and_the_mark_follows_seeking(server, browser, chapter):
    made, sentences = chapter
    assert [s["text"] for s in sentences] == ["The lighthouse keeper climbed the stairs.", "Every evening he lit the lamp.",
                                              "Ships passed safely in the night.", "Nobody ever thanked him, and he never minded."]
    page = browser.new_context().new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}") if answer.status >= 400 else None)
    response = page.goto(f"{server.base}/listen/lighthouse/{made['contentHash']}")
    assert response.status == 200
    assert "media-src 'self'" in response.headers["content-security-policy"]

    marks = page.locator("[data-sentence]")
    expect(marks).to_have_count(4)
    expect(page.locator("main p")).to_have_count(2)  # the blank line is a paragraph break
    expect(page.locator("#cache-badge")).to_contain_text("Cached")
    audio = page.locator("audio#player")
    expect(audio).to_have_count(1)
    expect(marks.nth(0)).to_have_attribute("aria-current", "true")

    # The browser reads the stored MP3's duration right (its header frame), as the record says.
    duration = media_duration(audio, page)
    assert abs(duration - made["durationSec"]) < 0.15, (duration, made["durationSec"])

    # Clicking a sentence seeks to it and plays; the mark moves there.
    marks.nth(2).click()
    expect(marks.nth(2)).to_have_attribute("aria-current", "true")
    expect(page.locator('main [aria-current="true"]')).to_have_count(1)  # one sentence (the chapter list marks its own)
    position = audio.evaluate("a => a.currentTime")
    assert position >= sentences[2]["start"] - 0.01
    # Playing moves time forward.
    expect(audio).to_have_js_property("paused", False)
    later = sentences[2]["start"] + 0.3
    for _ in range(100):
        if audio.evaluate("a => a.currentTime") > later:
            break
        page.wait_for_timeout(50)
    assert audio.evaluate("a => a.currentTime") > later

    # Seeking with the player (not a click) moves the mark to the sentence at that time.
    audio.evaluate("(a, t) => { a.pause(); a.currentTime = t; }", sentences[1]["start"] + 0.2)
    expect(marks.nth(1)).to_have_attribute("aria-current", "true")
    expect(marks.nth(2)).not_to_have_attribute("aria-current", "true")

    # Following can be turned off; the mark still moves.
    page.locator("#follow").uncheck()
    audio.evaluate("(a, t) => { a.currentTime = t; }", sentences[3]["start"] + 0.2)
    expect(marks.nth(3)).to_have_attribute("aria-current", "true")

    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "listen.png"), full_page=True)
    assert errors == []


def test_the_pages_have_an_icon_and_the_default_icon_address_is_not_an_error(server, browser, chapter):
    """Browsers ask for /favicon.ico on every page load; a 404 there is a console error on every load."""
    made, _ = chapter
    page = browser.new_context().new_page()
    for url in [f"{server.base}/listen/lighthouse/{made['contentHash']}", f"{server.base}/admin/"]:
        page.goto(url)
        icon = page.locator('link[rel="icon"]')
        expect(icon).to_have_count(1)
        answer = httpx.get(server.base + icon.get_attribute("href"))
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
        assert answer.text.startswith("<svg")
        # The icon draws within the page's own Content-Security-Policy (img-src 'self').
        loaded = page.evaluate("""href => new Promise(done => { const image = new Image();
            image.onload = () => done(image.naturalWidth > 0); image.onerror = () => done(false); image.src = href; })""",
                               icon.get_attribute("href"))
        assert loaded
    default = httpx.get(f"{server.base}/favicon.ico")
    assert default.status_code < 400 and "max-age" in default.headers["cache-control"]


def test_a_chapter_not_in_the_book_is_not_found(server, chapter):
    made, _ = chapter
    assert httpx.get(f"{server.base}/listen/another-book/{made['contentHash']}").status_code == 404
    assert httpx.get(f"{server.base}/listen/lighthouse/{'0' * 64}").status_code == 404
    assert httpx.get(f"{server.base}/listen/lighthouse/not-a-hash").status_code == 404


def test_a_chunked_chapter_without_a_xing_header_has_the_right_duration_in_the_browser(server, browser, generate):
    """Long text is stored as every chunk's frames with no Xing header (it would have to come first, before the
    length is known). The offline model takes 3,000 characters per request, so this chapter is two chunks; the
    browser must still show the length the record has."""
    sentence = "The keeper wrote every ship that passed into his long and patient log. "
    made = generate((sentence * 48).strip(), "lighthouse")
    assert made["characterCount"] > 3000
    page = browser.new_context().new_page()
    page.goto(f"{server.base}/listen/lighthouse/{made['contentHash']}")
    audio = page.locator("audio#player")
    duration = media_duration(audio, page)
    assert abs(duration - made["durationSec"]) < 0.15, (duration, made["durationSec"])
    expect(page.locator("[data-sentence]")).to_have_count(48)


def test_without_an_elevenlabs_key_the_sdk_lists_the_offline_model_and_voice(server):
    from elevenlabs.client import ElevenLabs
    from conftest import KEY
    sdk = ElevenLabs(api_key=KEY, base_url=server.base)
    assert [model.model_id for model in sdk.models.list()] == ["offline_espeak_ng"]
    assert [voice.voice_id for voice in sdk.voices.get_all().voices] == ["offline"]
