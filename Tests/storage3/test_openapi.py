"""Docs/openapi.yaml is a valid OpenAPI 3.1 document, and the live server's answers match its schemas."""
import os
import uuid

import httpx
import jsonschema
import yaml
from openapi_spec_validator import validate as validate_spec

from conftest import ADMIN, KEY, ROOT

with open(os.path.join(ROOT, "Docs", "openapi.yaml")) as source:
    SPEC = yaml.safe_load(source)


def check(instance, schema_name: str) -> None:
    """Validates against a component schema, with the spec's components in scope for its $refs."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_the_document_is_valid_openapi():
    validate_spec(SPEC)
    assert SPEC["openapi"].startswith("3.1")


def test_voice_answers_records_errors_and_health_match_the_schemas(server, generate):
    book = f"book-{uuid.uuid4().hex[:8]}"
    answer = generate("The contract and the server agree.", book)
    check(answer, "VoiceAnswer")
    again = generate("The contract and the server agree.", book)
    check(again, "VoiceAnswer")
    assert again["cached"] is True

    record = httpx.get(f"{server.base}/api/voice/{answer['contentHash']}").json()
    check(record, "VoiceRecord")
    assert httpx.get(f"{server.base}/api/voice", params={"contentHash": answer["contentHash"]}).json() == record

    for response in (
        httpx.post(f"{server.base}/api/voice", json={"voiceId": "v", "bookId": book}, headers={"Authorization": f"Bearer {KEY}"}),
        httpx.post(f"{server.base}/api/voice", json={"text": "x", "voiceId": "v", "bookId": "../etc"}, headers={"Authorization": f"Bearer {KEY}"}),
        httpx.post(f"{server.base}/api/voice", json={"text": "x", "voiceId": "v", "bookId": book}),
        httpx.get(f"{server.base}/api/voice/{'0' * 64}"),
        httpx.get(f"{server.base}/audio/{book}/{'0' * 64}.mp3"),
    ):
        assert 400 <= response.status_code < 500
        check(response.json(), "Error")

    timings = httpx.get(f"{server.base}/api/voice/{answer['contentHash']}/alignment")
    check(timings.json(), "Alignment")
    line = httpx.post(f"{server.base}/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream/with-timestamps",
                      json={"text": "The contract and the server agree."}, headers={"xi-api-key": KEY})
    for text in line.text.splitlines():
        check(__import__("json").loads(text), "TimestampedAudio")
    scene = {"inputs": [{"text": "The contract speaks.", "voice_id": "21m00Tcm4TlvDq8ikWAM"},
                        {"text": "And the server answers.", "voice_id": "pNInz6obpgDQGcFmaJgB"}]}
    dialogue = httpx.post(f"{server.base}/v1/text-to-dialogue/stream/with-timestamps", json=scene, headers={"xi-api-key": KEY})
    for text in dialogue.text.splitlines():
        check(__import__("json").loads(text), "TimestampedDialogue")
    dialogue_hash = dialogue.headers["x-content-hash"]
    check(httpx.get(f"{server.base}/api/voice/{dialogue_hash}/alignment").json(), "Alignment")
    refused = httpx.post(f"{server.base}/v1/text-to-speech/v", json={"text": "x", "surprise": 1}, headers={"xi-api-key": KEY})
    assert refused.status_code == 400
    jsonschema.validate(refused.json(), SPEC["components"]["responses"]["ElevenLabsError"]["content"]["application/json"]["schema"])

    health = httpx.get(f"{server.base}/healthz")
    jsonschema.validate(health.json(), SPEC["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"])

    audio = httpx.get(f"{server.base}{answer['url']}")
    declared = SPEC["components"]["responses"]["Audio"]["headers"]
    assert audio.headers["cache-control"] == declared["Cache-Control"]["schema"]["const"]
    assert audio.headers["accept-ranges"] == declared["Accept-Ranges"]["schema"]["const"]
    assert audio.headers["etag"] == f'"{record["sha256"]}"'


def test_admin_answers_match_the_schemas(server, generate):
    book = f"admin-{uuid.uuid4().hex[:8]}"
    answer = generate("The operator's view agrees with the contract.", book)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    check(httpx.get(f"{server.base}/admin/stats", headers=admin).json(), "Stats")
    listing = httpx.get(f"{server.base}/admin/assets", params={"bookId": book}, headers=admin).json()
    assert [asset["contentHash"] for asset in listing["assets"]] == [answer["contentHash"]]
    for asset in listing["assets"]:
        check(asset, "AdminAsset")
    check(httpx.get(f"{server.base}/admin/assets/{answer['contentHash']}", headers=admin).json(), "AdminAsset")
    dry = httpx.post(f"{server.base}/admin/purge", json={"bookId": book, "dryRun": True}, headers=admin)
    assert dry.status_code == 200 and dry.json()["matched"] == 1
    removed = httpx.delete(f"{server.base}/admin/books/{book}", headers=admin)
    assert removed.status_code == 200
    check(removed.json(), "Removed")
    for response in (
        httpx.delete(f"{server.base}/admin/books/{book}", headers=admin),
        httpx.get(f"{server.base}/admin/stats", headers={"Authorization": f"Bearer {KEY}"}),
        httpx.get(f"{server.base}/admin/stats"),
    ):
        assert response.status_code in (401, 403, 404)
        check(response.json(), "Error")


def test_fuzzing_the_documented_api_finds_no_server_errors_and_no_off_contract_answers(server, tmp_path):
    """schemathesis generates valid and invalid requests from Docs/openapi.yaml against the live server.

    It checks that nothing answers 5xx (every bad input gets a 4xx with a stable code) and that every answer's
    status, headers and body conform to the document. Its acceptance checks are left out: some valid-looking
    requests are rightly refused for reasons no schema can carry (412 from If-Match, 422 for a language the
    offline synthesizer has no voice for). A fixed seed keeps runs repeatable.
    """
    import subprocess
    import sys

    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", os.path.join(ROOT, "Docs", "openapi.yaml"),
        "--url", server.base, "-H", f"Authorization: Bearer {KEY}", "--exclude-tag", "storage", "--exclude-tag", "elevenlabs", "--exclude-tag", "openai",
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
        "--phases", "examples,coverage,fuzzing", "--max-examples", "40", "--seed", "20261126",
        "--report-dir", str(tmp_path), "--no-color",
    ]
    # Its working directory is the test's own: schemathesis keeps a cache in ./.schemathesis.
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
