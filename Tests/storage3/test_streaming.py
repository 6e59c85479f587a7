"""Streamed generation through the official ElevenLabs SDK, against a fake upstream that streams slowly (its first
bytes after a tenth of its latency): listeners hear a miss while it is being generated, all from byte 0 of one
generation, and a generation that turns out invalid ends every stream with an error and stores nothing."""
import base64
import threading
import time
import uuid

import httpx
import pytest
from elevenlabs.client import ElevenLabs

from conftest import KEY, FakeElevenLabs, server_over

VOICE = "21m00Tcm4TlvDq8ikWAM"


@pytest.fixture(scope="module")
def slow_fake():
    fake = FakeElevenLabs("--latency-ms", "1500")
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def slow_server(slow_fake):
    running = server_over(slow_fake)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sdk(slow_server):
    return ElevenLabs(api_key=KEY, base_url=slow_server.base)


def published(server, content_hash: str) -> bool:
    return httpx.get(f"{server.base}/api/voice/{content_hash}").status_code == 200


def wait_until_published(server, content_hash: str) -> None:
    deadline = time.time() + 30
    while not published(server, content_hash):
        assert time.time() < deadline, "the generation was never published"
        time.sleep(0.05)


def stored_bytes(server, content_hash: str) -> bytes:
    record = httpx.get(f"{server.base}/api/voice/{content_hash}").json()
    return httpx.get(server.base + record["url"]).content


def test_five_concurrent_stream_misses_hear_one_generation_early(sdk, slow_server, slow_fake):
    text = f"Five listeners ask for the same new chapter at once {uuid.uuid4().hex[:8]}. " * 4
    before = slow_fake.calls()
    results, early, hashes = [None] * 5, [None] * 5, [None] * 5
    start = threading.Barrier(5)

    def listen(index):
        start.wait()
        with sdk.text_to_speech.with_raw_response.stream(VOICE, text=text) as response:
            hashes[index] = response.headers["x-content-hash"]
            assert response.headers["x-cache"] == "MISS"
            chunks = []
            for chunk in response.data:
                if not chunks:
                    # Heard before the generation is over: the asset is not published yet.
                    early[index] = not published(slow_server, hashes[index])
                chunks.append(chunk)
            results[index] = b"".join(chunks)

    threads = [threading.Thread(target=listen, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(results) and len(set(results)) == 1, "everyone hears the same bytes from byte 0"
    assert early == [True] * 5
    assert slow_fake.calls() == before + 1
    wait_until_published(slow_server, hashes[0])
    assert stored_bytes(slow_server, hashes[0]) == results[0], "what was streamed is what was stored"
    # And now it is a hit.
    with sdk.text_to_speech.with_raw_response.stream(VOICE, text=text) as again:
        assert again.headers["x-cache"] == "HIT"
        assert b"".join(again.data) == results[0]


def test_stream_with_timestamps_is_live_too(sdk, slow_server):
    text = f"Timestamps arrive with the audio as it is spoken {uuid.uuid4().hex[:8]}. " * 3
    chunks, early = [], None
    with sdk.text_to_speech.with_raw_response.stream_with_timestamps(VOICE, text=text) as response:
        content_hash = response.headers["x-content-hash"]
        for chunk in response.data:
            if early is None:
                early = not published(slow_server, content_hash)
            chunks.append(chunk)
    assert early is True
    audio = b"".join(base64.b64decode(chunk.audio_base_64) for chunk in chunks)
    assert "".join("".join(c.alignment.characters) for c in chunks if c.alignment) == text.strip()
    wait_until_published(slow_server, content_hash)
    assert stored_bytes(slow_server, content_hash) == audio
    timings = httpx.get(f"{slow_server.base}/api/voice/{content_hash}/alignment").json()
    assert timings["text"] == text.strip()


def test_a_generation_that_turns_out_invalid_ends_every_stream_with_an_error(sdk, slow_server, slow_fake):
    text = f"This generation will be cut short {uuid.uuid4().hex[:8]}."
    voice = "cutVoice"
    slow_fake.script(voice, ["truncated", "truncated"])
    heard = []
    content_hash = None
    with pytest.raises(Exception) as failure:
        with sdk.text_to_speech.with_raw_response.stream(voice, text=text) as response:
            content_hash = response.headers["x-content-hash"]
            for chunk in response.data:
                heard.append(chunk)
    assert heard, "audio was heard before the end showed it was invalid"
    assert "ApiError" not in type(failure.value).__name__, "the stream was cut off, not answered with a status"
    assert content_hash and not published(slow_server, content_hash), "nothing is stored"
    # The failure is not cached: the next request generates again.
    slow_fake.script(voice, ["ok"])
    assert len(b"".join(sdk.text_to_speech.stream(voice, text=text))) > 1000
    assert published(slow_server, content_hash)


def test_a_listener_that_leaves_cancels_nothing(slow_server):
    text = f"Nobody stays to hear the end of this {uuid.uuid4().hex[:8]}."
    with httpx.stream("POST", f"{slow_server.base}/v1/text-to-speech/{VOICE}/stream", json={"text": text},
                      headers={"xi-api-key": KEY}, timeout=30) as response:
        content_hash = response.headers["x-content-hash"]
        next(response.iter_bytes())
    # The connection is closed; the generation goes on and is published.
    wait_until_published(slow_server, content_hash)
