"""GET /metrics parsed by the official Prometheus Python client's parser, and values that move with requests."""
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from conftest import ADMIN, KEY


def scrape(server) -> dict:
    response = httpx.get(f"{server.base}/metrics", headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_parse_and_move_with_requests(server, generate):
    before = scrape(server)
    book = f"metrics-{uuid.uuid4().hex[:8]}"
    text = f"Metrics move with requests {uuid.uuid4().hex[:6]}."
    generate(text, book)
    generate(text, book)
    after = scrape(server)

    assert value(after, "voicevault_cache_requests_total", surface="voice", result="miss") == \
        value(before, "voicevault_cache_requests_total", surface="voice", result="miss") + 1
    assert value(after, "voicevault_cache_requests_total", surface="voice", result="hit") == \
        value(before, "voicevault_cache_requests_total", surface="voice", result="hit") + 1
    assert value(after, "voicevault_generations_total") == value(before, "voicevault_generations_total") + 1
    assert value(after, "voicevault_characters_saved_total") >= value(before, "voicevault_characters_saved_total") + len(text)
    assert value(after, "voicevault_http_requests_total", route="/api/voice", method="POST", status="2xx") == \
        value(before, "voicevault_http_requests_total", route="/api/voice", method="POST", status="2xx") + 2
    assert value(after, "voicevault_upstream_duration_seconds_count") == value(before, "voicevault_upstream_duration_seconds_count") + 1
    assert value(after, "voicevault_assets") >= 1
    assert value(after, "voicevault_flights_in_progress") == 0
    assert ("voicevault_ledger_events_dropped_total", ()) in after


def test_metrics_take_the_admin_token_and_no_client_key(server):
    assert httpx.get(f"{server.base}/metrics").status_code == 401
    assert httpx.get(f"{server.base}/metrics", headers={"Authorization": f"Bearer {KEY}"}).status_code == 403
    assert httpx.get(f"{server.base}/metrics", headers={"apikey": KEY}).status_code == 403


def test_labels_are_the_servers_never_the_clients(server):
    """A made-up method or path must not become a new series: route is the matched template, method a known one."""
    # PROPFIND is a method the HTTP parser knows (WebDAV) and no route answers; made-up methods stop at the parser (400).
    httpx.request("PROPFIND", f"{server.base}/coffee/{uuid.uuid4().hex}")
    httpx.get(f"{server.base}/audio/some-book/{'0' * 64}.mp3")
    samples = scrape(server)
    labels = {dict(key[1]).get("route") for key in samples} | {dict(key[1]).get("method") for key in samples}
    assert "PROPFIND" not in labels and not any(label and "coffee" in label for label in labels)
    assert value(samples, "voicevault_http_requests_total", route="unmatched", method="other", status="4xx") >= 1
    assert value(samples, "voicevault_http_requests_total", route="/audio/{book}/{file}", method="GET", status="4xx") >= 1
