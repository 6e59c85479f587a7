"""Issue 10: a user-uploaded text/html object was served inline from the API's own origin. Every answer now
carries `X-Content-Type-Options: nosniff`, and a type a browser would run is always an attachment."""
import httpx

from test_storage3 import AUDIO, MP3, fresh_bucket


def test_uploads_a_browser_would_run_are_attachments_and_nothing_is_sniffed(storage, http):
    name = fresh_bucket(storage, public=True)
    bucket = storage.from_(name)
    page = b"<html><script>alert(document.cookie)</script></html>"
    for key, body, kind in [("page.html", page, "text/html"), ("logo.svg", b"<svg/>", "image/svg+xml"),
                            ("note.txt", b"plain", "text/plain"), ("song.mp3", MP3, "audio/mpeg")]:
        bucket.upload(key, body, {"content-type": kind})
    for key in ["page.html", "logo.svg"]:
        served = httpx.get(bucket.get_public_url(key))
        assert served.status_code == 200
        assert served.headers["content-disposition"].startswith("attachment;"), served.headers
        assert served.headers["x-content-type-options"] == "nosniff"
    for key in ["note.txt", "song.mp3"]:
        served = httpx.get(bucket.get_public_url(key))
        assert served.status_code == 200 and "content-disposition" not in served.headers
        assert served.headers["x-content-type-options"] == "nosniff"
    # Errors too, and the voice API's answers.
    missing = httpx.get(bucket.get_public_url("missing.html"))
    assert missing.status_code == 404 and missing.headers["x-content-type-options"] == "nosniff"
    health = httpx.get(str(http.base_url).replace("/storage/v1", "") + "healthz")
    assert health.headers["x-content-type-options"] == "nosniff"
