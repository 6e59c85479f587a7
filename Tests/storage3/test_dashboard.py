"""The dashboard at /admin/ in headless Chromium (Debian's chromium, driven by playwright).

Without the admin token it shows only the form and asks the server for nothing; with it, it shows the numbers
/admin/stats gives. A screenshot is kept at .build/artifacts/dashboard.png.
"""
import os
import time as time_module
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from conftest import ADMIN, KEY, ROOT, Server

ARTIFACTS = os.path.join(ROOT, ".build", "artifacts")


@pytest.fixture(scope="module")
def priced_server():
    running = Server(VOICEVAULT_PRICE_PER_1000_CHARACTERS="0.30")
    yield running
    running.stop()


def speak(server, text: str, book: str) -> None:
    answer = httpx.post(f"{server.base}/api/voice", headers={"Authorization": f"Bearer {KEY}"}, timeout=60,
                        json={"text": text, "voiceId": "21m00Tcm4TlvDq8ikWAM", "bookId": book})
    assert answer.status_code == 200, answer.text


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def test_without_a_token_only_the_form_shows_and_no_data_is_asked_for(priced_server, browser):
    context = browser.new_context()
    page = context.new_page()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    response = page.goto(f"{priced_server.base}/admin/")
    assert response.status == 200
    headers = response.headers
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    page.wait_for_load_state("networkidle")
    assert page.is_visible("#token-form")
    assert not page.is_visible("#dashboard")
    assert page.text_content('[data-stat="hits"]') == ""
    assert not any("/admin/stats" in url for url in asked)

    # A wrong token gets the server's refusal and still no data.
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    # Waits go through playwright's locators: the page's CSP (rightly) forbids the eval a string predicate needs.
    expect(page.locator("#form-error")).to_contain_text("not valid")
    assert not page.is_visible("#dashboard")
    # A client key is not the admin token either.
    page.fill("#token", KEY)
    page.click("button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("client key")
    assert not page.is_visible("#dashboard")
    assert context.cookies() == []
    context.close()


def test_an_empty_server_says_nothing_yet_in_every_table(browser):
    empty = Server()
    try:
        page = browser.new_context().new_page()
        page.goto(f"{empty.base}/admin/")
        page.fill("#token", ADMIN)
        page.click("button[type=submit]")
        page.wait_for_selector("#dashboard:not([hidden])")
        for table in ["in-flight", "jobs", "recent"]:
            cell = page.locator(f"#{table} tbody td")
            expect(cell).to_have_count(1)
            expect(cell).to_have_text("nothing yet")
            columns = page.locator(f"#{table} thead th").count()
            assert cell.get_attribute("colspan") == str(columns)
    finally:
        empty.stop()


def test_with_the_token_it_shows_what_admin_stats_gives(priced_server, browser):
    book = f"dash-{uuid.uuid4().hex[:6]}"
    for index in range(3):
        speak(priced_server, f"Dashboard sentence {index}.", book)
    speak(priced_server, "Dashboard sentence 0.", book)
    speak(priced_server, "Dashboard sentence 0.", f"{book}-other")

    # A pre-generation job, followed to its end, is listed with its progress.
    admin = {"Authorization": f"Bearer {ADMIN}"}
    manifest = {"bookId": f"{book}-jobs", "voices": ["21m00Tcm4TlvDq8ikWAM"],
                "chapters": [{"chapterId": f"c{n}", "text": f"Dashboard job chapter {n}."} for n in range(2)]}
    job = httpx.post(f"{priced_server.base}/admin/jobs", headers=admin, json=manifest, timeout=60)
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    for _ in range(600):
        if httpx.get(f"{priced_server.base}/admin/jobs/{job_id}", headers=admin).json()["status"] == "done":
            break
        time_module.sleep(0.05)  # polling a condition, with a bound

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{priced_server.base}/admin/")
    page.fill("#token", ADMIN)
    page.click("button[type=submit]")
    page.wait_for_selector("#dashboard:not([hidden])")
    expect(page.locator('[data-stat="hits"]')).not_to_have_text("")
    row = page.locator("#jobs tbody tr", has_text=job_id)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("done")
    expect(row).to_contain_text("2 / 2")

    stats = httpx.get(f"{priced_server.base}/admin/stats", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    for name in ["hits", "misses", "generations", "assets", "bytes", "charactersSaved"]:
        assert number(page.text_content(f'[data-stat="{name}"]')) == stats[name], name
    assert stats["hits"] == 2 and stats["misses"] == 5
    assert number(page.text_content('[data-stat="hitRate"]')) == round(stats["hitRate"] * 100, 1)
    assert page.text_content('[data-stat="costSaved"]') != "no price set"
    # Charts are inline SVG drawn from the same JSON; tables list the recent generations.
    assert page.locator("#chart-hit-rate svg").count() == 1
    assert page.locator("#chart-books svg text", has_text=book).count() >= 1
    assert page.locator("#recent tbody tr").count() == 5

    # Chart text is the same size in a full-width chart and a half-width one, at any page width: the charts
    # are drawn at their own width, not scaled from a fixed one.
    for width in [1400, 900]:
        page.set_viewport_size({"width": width, "height": 900})
        for chart in ["#chart-hit-rate", "#chart-voices"]:
            drawn = str(int(page.locator(chart).bounding_box()["width"]))
            expect(page.locator(f"{chart} svg")).to_have_attribute("width", drawn)
        day = page.locator("#chart-hit-rate svg text").first.bounding_box()["height"]
        voice = page.locator("#chart-voices svg text").first.bounding_box()["height"]
        assert abs(day - voice) <= 1.5, (width, day, voice)

    # The token lives in this tab only: a reload keeps the dashboard, a new session starts at the form.
    page.reload()
    page.wait_for_selector("#dashboard:not([hidden])")
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "dashboard.png"), full_page=True)
    assert context.cookies() == []
    fresh = browser.new_context().new_page()
    fresh.goto(f"{priced_server.base}/admin/")
    fresh.wait_for_load_state("networkidle")
    assert fresh.is_visible("#token-form") and not fresh.is_visible("#dashboard")
    context.close()
