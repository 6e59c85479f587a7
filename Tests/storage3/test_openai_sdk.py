"""The official openai Python SDK's speech call pointed at voicevault: /v1/audio/speech maps onto the same hash as
the ElevenLabs request it stands for."""
import uuid

import httpx
import openai
import pytest

from conftest import KEY

VOICE = "21m00Tcm4TlvDq8ikWAM"


@pytest.fixture(scope="module")
def client(upstream_server):
    return openai.OpenAI(api_key=KEY, base_url=f"{upstream_server.base}/v1", max_retries=0)


def test_speech_is_a_miss_then_a_hit_shared_with_the_voice_api(client, upstream_server, fake_elevenlabs):
    text = f"OpenAI's door to the same cache {uuid.uuid4().hex[:8]}."
    before = fake_elevenlabs.calls()
    first = client.audio.speech.with_raw_response.create(model="tts-1", voice=VOICE, input=text)
    assert first.headers["x-cache"] == "MISS"
    second = client.audio.speech.with_raw_response.create(model="tts-1-hd", voice=VOICE, input=text, speed=1.0)
    assert second.headers["x-cache"] == "HIT"
    assert first.content == second.content and len(first.content) > 1000
    answer = httpx.post(f"{upstream_server.base}/api/voice", headers={"Authorization": f"Bearer {KEY}"},
                        json={"text": text, "voiceId": VOICE, "bookId": "openai-check"})
    assert answer.headers["x-cache"] == "HIT"
    assert answer.json()["contentHash"] == first.headers["x-content-hash"]
    assert fake_elevenlabs.calls() == before + 1


def test_errors_are_in_openais_shape(upstream_server, client):
    wrong = openai.OpenAI(api_key="not-a-key", base_url=f"{upstream_server.base}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        wrong.audio.speech.create(model="tts-1", voice=VOICE, input="Hello.")
    assert refused.value.code == "unauthorized"
    with pytest.raises(openai.BadRequestError) as opus:
        client.audio.speech.create(model="tts-1", voice=VOICE, input="Hello.", response_format="opus")
    assert opus.value.code == "unknown_format"
    with pytest.raises(openai.BadRequestError) as aac:
        client.audio.speech.create(model="tts-1", voice=VOICE, input="Hello.", response_format="aac")
    assert aac.value.code == "format_not_produced_upstream"
    with pytest.raises(openai.BadRequestError) as fast:
        client.audio.speech.create(model="tts-1", voice=VOICE, input="Hello.", speed=4.0)
    assert fast.value.code == "setting_out_of_range"
