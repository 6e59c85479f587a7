"""The official ElevenLabs Python SDK (2.78.0) pointed at voicevault with base_url: every text-to-speech call is
answered from the cache, costs one upstream call the first time, and shares its hash with POST /api/voice."""
import base64
import threading
import uuid

import httpx
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError

from conftest import KEY

VOICE = "21m00Tcm4TlvDq8ikWAM"


@pytest.fixture(scope="module")
def sdk(upstream_server):
    return ElevenLabs(api_key=KEY, base_url=upstream_server.base)


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}."


def test_convert_is_a_miss_then_a_hit_with_identical_bytes(sdk, fake_elevenlabs):
    text = unique("Convert this chapter")
    before = fake_elevenlabs.calls()
    with sdk.text_to_speech.with_raw_response.convert(VOICE, text=text) as first:
        first_bytes = b"".join(first.data)
        assert first.headers["x-cache"] == "MISS"
        assert int(first.headers["character-cost"]) == len(text)
    with sdk.text_to_speech.with_raw_response.convert(VOICE, text=text) as second:
        second_bytes = b"".join(second.data)
        assert second.headers["x-cache"] == "HIT"
        assert second.headers["character-cost"] == "0"
        assert int(second.headers["x-original-character-cost"]) == len(text)
        assert second.headers["x-content-hash"] == first.headers["x-content-hash"]
        assert second.headers["request-id"].startswith("vv_")
    assert first_bytes == second_bytes and first_bytes[:3] in (b"ID3", b"\xff\xfb"[:3]) or first_bytes[0] == 0xFF
    assert fake_elevenlabs.calls() == before + 1


def test_stream_is_a_miss_then_a_hit(sdk, fake_elevenlabs):
    text = unique("Stream this chapter")
    before = fake_elevenlabs.calls()
    first = b"".join(sdk.text_to_speech.stream(VOICE, text=text))
    second = b"".join(sdk.text_to_speech.stream(VOICE, text=text))
    assert first == second and len(first) > 1000
    assert fake_elevenlabs.calls() == before + 1


def test_convert_with_timestamps_is_a_miss_then_a_hit(sdk, fake_elevenlabs):
    text = unique("Timestamps for this chapter")
    before = fake_elevenlabs.calls()
    first = sdk.text_to_speech.convert_with_timestamps(VOICE, text=text)
    second = sdk.text_to_speech.convert_with_timestamps(VOICE, text=text)
    assert first.audio_base_64 == second.audio_base_64
    assert "".join(first.alignment.characters) == text
    assert first.alignment.character_start_times_seconds == second.alignment.character_start_times_seconds
    assert len(first.alignment.character_end_times_seconds) == len(text)
    assert fake_elevenlabs.calls() == before + 1


def test_the_spoken_texts_timings_come_back_on_a_hit(sdk, fake_elevenlabs):
    """normalized_alignment follows the text as spoken (the fake spells digits out, as upstream normalises
    numbers); it is stored with the audio and a hit answers it as the miss did."""
    text = f"Chapter 7 of the book {uuid.uuid4().hex[:8].translate(str.maketrans('0123456789', 'ghijklmnop'))}."
    before = fake_elevenlabs.calls()
    first = sdk.text_to_speech.convert_with_timestamps(VOICE, text=text)
    second = sdk.text_to_speech.convert_with_timestamps(VOICE, text=text)
    assert fake_elevenlabs.calls() == before + 1
    for answer in (first, second):
        assert "".join(answer.alignment.characters) == text
        assert "".join(answer.normalized_alignment.characters) == text.replace("7", "seven")
    assert first.normalized_alignment.character_end_times_seconds == second.normalized_alignment.character_end_times_seconds


def test_stream_with_timestamps_is_a_miss_then_a_hit_and_each_line_stands_alone(sdk, fake_elevenlabs):
    text = unique("A streamed chapter with timestamps, long enough to come in several pieces of audio") * 3
    before = fake_elevenlabs.calls()
    runs = []
    for _ in range(2):
        chunks = list(sdk.text_to_speech.stream_with_timestamps(VOICE, text=text))
        assert len(chunks) >= 2
        audio = b"".join(base64.b64decode(chunk.audio_base_64) for chunk in chunks)
        characters = "".join("".join(chunk.alignment.characters) for chunk in chunks if chunk.alignment)
        starts = [t for chunk in chunks if chunk.alignment for t in chunk.alignment.character_start_times_seconds]
        assert characters == text
        assert starts == sorted(starts), "times count from the start of the response"
        runs.append(audio)
    assert runs[0] == runs[1]
    assert fake_elevenlabs.calls() == before + 1


def test_the_same_speech_through_api_voice_is_a_hit(sdk, upstream_server, fake_elevenlabs):
    text = unique("One cache behind both doors")
    with sdk.text_to_speech.with_raw_response.convert(VOICE, text=text) as made:
        b"".join(made.data)
        sdk_hash = made.headers["x-content-hash"]
    calls = fake_elevenlabs.calls()
    answer = httpx.post(f"{upstream_server.base}/api/voice", headers={"Authorization": f"Bearer {KEY}"},
                        json={"text": text, "voiceId": VOICE, "bookId": "sdk-check"})
    assert answer.headers["x-cache"] == "HIT"
    assert answer.json()["contentHash"] == sdk_hash
    assert fake_elevenlabs.calls() == calls


def test_timestamps_for_audio_made_through_api_voice_cost_no_upstream_call(sdk, upstream_server, fake_elevenlabs):
    text = unique("Made through the voice API first")
    made = httpx.post(f"{upstream_server.base}/api/voice", headers={"Authorization": f"Bearer {KEY}"},
                      json={"text": text, "voiceId": VOICE, "bookId": "book-1"})
    assert made.status_code == 200
    calls = fake_elevenlabs.calls()
    timed = sdk.text_to_speech.convert_with_timestamps(VOICE, text=text)
    assert "".join(timed.alignment.characters) == text
    assert fake_elevenlabs.calls() == calls


def test_nulls_key_order_and_number_spelling_do_not_change_the_hash(upstream_server):
    text = unique("Spelled many ways")
    headers = {"xi-api-key": KEY, "content-type": "application/json"}
    url = f"{upstream_server.base}/v1/text-to-speech/{VOICE}"
    bodies = [
        '{"text": "%s", "voice_settings": {"speed": 1, "stability": 0.5}}' % text,
        '{"voice_settings": {"stability": 0.50, "speed": 1.0, "style": null}, "model_id": null, "text": "%s"}' % text,
        '{"text": "%s", "seed": null, "language_code": null, "previous_request_ids": []}' % text,
    ]
    hashes = set()
    for body in bodies:
        # The JS SDK's no-cache headers never bypass the cache.
        answer = httpx.post(url, headers={**headers, "cache-control": "no-cache", "pragma": "no-cache"}, content=body)
        assert answer.status_code == 200, answer.text
        hashes.add(answer.headers["x-content-hash"])
    assert len(hashes) == 1
    assert httpx.post(url, headers=headers, content=bodies[0]).headers["x-cache"] == "HIT"


def test_five_concurrent_stream_misses_make_one_upstream_call(sdk, fake_elevenlabs):
    text = unique("Five listeners ask for the same new chapter at once")
    before = fake_elevenlabs.calls()
    results = [None] * 5
    start = threading.Barrier(5)

    def listen(index):
        start.wait()
        results[index] = b"".join(sdk.text_to_speech.stream(VOICE, text=text))

    threads = [threading.Thread(target=listen, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(results) and len(set(results)) == 1
    assert fake_elevenlabs.calls() == before + 1


def test_sdk_errors_carry_the_right_status(upstream_server, fake_elevenlabs):
    calls = fake_elevenlabs.calls()
    wrong = ElevenLabs(api_key="not-a-key", base_url=upstream_server.base)
    with pytest.raises(ApiError) as refused:
        b"".join(wrong.text_to_speech.convert(VOICE, text="Nobody pays for this."))
    assert refused.value.status_code == 401
    assert refused.value.body["detail"]["code"] == "unauthorized"
    assert fake_elevenlabs.calls() == calls, "a wrong key never reaches upstream"

    sdk = ElevenLabs(api_key=KEY, base_url=upstream_server.base)
    with pytest.raises(ApiError) as stitched:
        b"".join(sdk.text_to_speech.convert(VOICE, text="Stitched.", previous_request_ids=["abc"]))
    assert stitched.value.status_code == 400
    assert stitched.value.body["detail"]["code"] == "unknown_request_id"

    with pytest.raises(ApiError) as pcm:
        b"".join(sdk.text_to_speech.convert(VOICE, text="Raw audio.", output_format="pcm_16000"))
    assert pcm.value.status_code == 400

    fake_elevenlabs.script("missingVoice", ["404"])
    with pytest.raises(ApiError) as missing:
        b"".join(sdk.text_to_speech.convert("missingVoice", text=unique("No such voice")))
    assert missing.value.status_code == 404
    assert missing.value.body["detail"]["code"] == "voice_not_found"
    assert fake_elevenlabs.calls() == calls + 1


def test_paragraphs_stitch_with_request_ids_from_earlier_answers(sdk, fake_elevenlabs):
    """An app that reads a chapter paragraph by paragraph, each stitched to the one before by the request-id of
    its answer: upstream is asked with its own ids, and the whole sequence asked again is all hits."""
    paragraphs = [unique("The first paragraph"), unique("The second paragraph"), unique("The third paragraph")]

    def read_aloud():
        ids, caches = [], []
        for text in paragraphs:
            with sdk.text_to_speech.with_raw_response.convert(
                    VOICE, text=text, previous_request_ids=ids[-3:] or None) as answer:
                assert len(b"".join(answer.data)) > 0
                ids.append(answer.headers["request-id"])
                caches.append(answer.headers["x-cache"])
        return ids, caches

    before = fake_elevenlabs.calls()
    first_ids, first_caches = read_aloud()
    assert first_caches == ["MISS", "MISS", "MISS"]
    assert fake_elevenlabs.calls() == before + 3
    sent = httpx.get(f"{fake_elevenlabs.base}/_fake/requests").json()[-2:]
    assert [len(body["previous_request_ids"]) for body in sent] == [1, 2]
    second_ids, second_caches = read_aloud()
    assert second_caches == ["HIT", "HIT", "HIT"]
    assert fake_elevenlabs.calls() == before + 3
    assert set(first_ids).isdisjoint(second_ids), "every answer has its own request-id"


OTHER_VOICE = "pNInz6obpgDQGcFmaJgB"


def dialogue(tag: str):
    return [{"text": f"Where are you going, {tag}?", "voice_id": VOICE},
            {"text": "Home, at last.", "voice_id": OTHER_VOICE}]


def test_dialogue_in_all_four_shapes_is_generated_once_each(sdk, fake_elevenlabs):
    """text_to_dialogue's convert, stream, convert_with_timestamps and stream_with_timestamps: each shape's
    first call is one upstream call, its second a hit; the timed shapes carry who speaks when."""
    tag = uuid.uuid4().hex[:8]
    before = fake_elevenlabs.calls()
    with sdk.text_to_dialogue.with_raw_response.convert(inputs=dialogue(tag)) as first:
        audio = b"".join(first.data)
        assert first.headers["x-cache"] == "MISS" and len(audio) > 1000
    with sdk.text_to_dialogue.with_raw_response.convert(inputs=dialogue(tag)) as second:
        assert b"".join(second.data) == audio and second.headers["x-cache"] == "HIT"
    assert fake_elevenlabs.calls() == before + 1

    streamed = b"".join(sdk.text_to_dialogue.stream(inputs=dialogue(tag), output_format="mp3_22050_32"))
    assert streamed == b"".join(sdk.text_to_dialogue.stream(inputs=dialogue(tag), output_format="mp3_22050_32"))
    assert fake_elevenlabs.calls() == before + 2

    timed = [sdk.text_to_dialogue.convert_with_timestamps(inputs=dialogue(tag), seed=1) for _ in range(2)]
    assert timed[0].audio_base_64 == timed[1].audio_base_64
    assert [segment.voice_id for segment in timed[0].voice_segments] == [VOICE, OTHER_VOICE]
    characters = "".join(timed[0].alignment.characters)
    hero = timed[0].voice_segments[1]
    assert characters[hero.character_start_index:hero.character_end_index] == "Home, at last."
    assert fake_elevenlabs.calls() == before + 3

    for _ in range(2):
        chunks = list(sdk.text_to_dialogue.stream_with_timestamps(inputs=dialogue(tag), seed=2))
        assert len(chunks) >= 2
        lines = {segment.dialogue_input_index for chunk in chunks for segment in chunk.voice_segments}
        assert lines == {0, 1}
    assert fake_elevenlabs.calls() == before + 4


def test_dialogue_stitches_to_earlier_answers(sdk, fake_elevenlabs):
    """A scene continued from an earlier answer's request-id: hashed with that audio, a hit when asked again."""
    tag = uuid.uuid4().hex[:8]
    with sdk.text_to_dialogue.with_raw_response.convert(inputs=dialogue(tag)) as scene:
        b"".join(scene.data)
        scene_id = scene.headers["request-id"]
    before = fake_elevenlabs.calls()
    following = [{"text": f"And then what, {tag}?", "voice_id": VOICE}]
    for expected in ("MISS", "HIT"):
        with sdk.text_to_dialogue.with_raw_response.convert(inputs=following, previous_request_ids=[scene_id]) as answer:
            b"".join(answer.data)
            assert answer.headers["x-cache"] == expected
    assert fake_elevenlabs.calls() == before + 1
    sent = httpx.get(f"{fake_elevenlabs.base}/_fake/requests").json()[-1]
    # eleven_v3, the dialogue model, does not stitch by request id: the scene's own text goes instead.
    assert "previous_request_ids" not in sent
    assert sent["previous_text"] == "\n".join(line["text"] for line in dialogue(tag))


def test_models_and_voices_come_from_upstream(sdk):
    models = sdk.models.list()
    assert "eleven_multilingual_v2" in [model.model_id for model in models]
    voices = sdk.voices.get_all()
    assert VOICE in [voice.voice_id for voice in voices.voices]
