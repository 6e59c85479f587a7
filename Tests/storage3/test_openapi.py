"""Docs/openapi.yaml is a valid OpenAPI 3.1 document, and the live server's answers match its schemas."""
import os
import uuid

import httpx
import jsonschema
import yaml
from openapi_spec_validator import validate as validate_spec

from conftest import KEY, ROOT

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

    health = httpx.get(f"{server.base}/healthz")
    jsonschema.validate(health.json(), SPEC["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"])

    audio = httpx.get(f"{server.base}{answer['url']}")
    declared = SPEC["components"]["responses"]["Audio"]["headers"]
    assert audio.headers["cache-control"] == declared["Cache-Control"]["schema"]["const"]
    assert audio.headers["accept-ranges"] == declared["Accept-Ranges"]["schema"]["const"]
    assert audio.headers["etag"] == f'"{record["sha256"]}"'
