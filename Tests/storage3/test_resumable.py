"""Resumable uploads (TUS 1.0.0) at /storage/v1/upload/resumable, driven by the PyPI client tuspy, plus the
protocol's edges over raw HTTP: creation-with-upload, deferred length, termination, expiry, refusals, CORS,
and a resume after the server was killed in the middle of an upload. Live server, real socket."""
import base64
import glob
import io
import json
import os
import socket
import threading
import time
import uuid

import httpx
import pytest
from tusclient import client as tus
from tusclient.exceptions import TusCommunicationError

from conftest import AUTH, KEY, Server
from test_storage3 import AUDIO, MP3, error_of, fresh_bucket

TUS = {"Tus-Resumable": "1.0.0"}
MIB = 1 << 20


def payload(size: int) -> bytes:
    """Distinct bytes at every offset, so a part written twice or skipped shows in the result."""
    return b"".join(i.to_bytes(4, "big") for i in range(size // 4 + 1))[:size]


def metadata(bucket: str, key: str, **extra: str) -> dict:
    return {"bucketName": bucket, "objectName": key, "contentType": "audio/mpeg", **extra}


def encoded(values: dict) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def start_patch(server, url: str, offset: int, length: int, first_bytes: bytes) -> socket.socket:
    """A PATCH on a raw connection with only `first_bytes` of its `length`-byte body sent: a client mid-upload."""
    raw = socket.create_connection(("127.0.0.1", server.port))
    path = url.split(str(server.port), 1)[1]
    raw.sendall((f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\nTus-Resumable: 1.0.0\r\n"
                 f"Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {length}\r\n\r\n").encode())
    raw.sendall(first_bytes)
    return raw


def uploads_on_disk(server) -> list:
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(server.directory, "data", "uploads", "*")))


def test_tuspy_uploads_in_chunks_and_the_object_appears(server, storage):
    name = fresh_bucket(storage)
    data = payload(5 * MIB + 123)
    client = tus.TusClient(f"{server.base}/storage/v1/upload/resumable", headers={**AUTH, "x-upsert": "false"})
    uploader = client.uploader(file_stream=io.BytesIO(data), chunk_size=MIB,
                               metadata=metadata(name, "books/long chapter.mp3", cacheControl="60", metadata=json.dumps({"part": 1})))
    uploader.upload()
    assert uploader.url.startswith(f"http://127.0.0.1:{server.port}/storage/v1/upload/resumable/")
    assert storage.from_(name).download("books/long chapter.mp3") == data
    info = storage.from_(name).info("books/long chapter.mp3")
    assert (info["content_type"], info["cache_control"], info["metadata"], info["size"]) == ("audio/mpeg", "max-age=60", {"part": 1}, len(data))
    # The upload is gone once it became the object.
    assert httpx.head(uploader.url, headers={**AUTH, **TUS}).status_code == 404
    assert uploads_on_disk(server) == []


def test_signed_resumable_upload_needs_no_key(server, storage):
    name = fresh_bucket(storage)
    token = storage.from_(name).create_signed_upload_url("signed.mp3")["token"]
    data = payload(2 * MIB)
    client = tus.TusClient(f"{server.base}/storage/v1/upload/resumable/sign", headers={"x-signature": token})
    uploader = client.uploader(file_stream=io.BytesIO(data), chunk_size=MIB, metadata=metadata(name, "signed.mp3"))
    uploader.upload()
    assert "/upload/resumable/sign/" in uploader.url
    assert storage.from_(name).download("signed.mp3") == data
    # The token is for that key only.
    other = httpx.post(f"{server.base}/storage/v1/upload/resumable/sign",
                       headers={**TUS, "x-signature": token, "Upload-Length": "10", "Upload-Metadata": encoded(metadata(name, "other.mp3"))})
    assert other.status_code == 400 and other.json()["code"] == "InvalidJWT"


def test_creation_with_upload_and_deferred_length(server, storage):
    name = fresh_bucket(storage)
    base = f"{server.base}/storage/v1/upload/resumable"
    created = httpx.post(base, content=MP3[:1000], headers={
        **AUTH, **TUS, "Upload-Length": str(len(MP3)), "Upload-Metadata": encoded(metadata(name, "a.mp3")),
        "Content-Type": "application/offset+octet-stream"})
    assert created.status_code == 201 and created.headers["upload-offset"] == "1000"
    assert created.headers["tus-resumable"] == "1.0.0" and created.headers["upload-expires"]
    rest = httpx.patch(created.headers["location"], content=MP3[1000:], headers={
        **AUTH, **TUS, "Upload-Offset": "1000", "Content-Type": "application/offset+octet-stream"})
    assert rest.status_code == 204 and rest.headers["upload-offset"] == str(len(MP3))
    assert storage.from_(name).download("a.mp3") == MP3

    deferred = httpx.post(base, headers={**AUTH, **TUS, "Upload-Defer-Length": "1", "Upload-Metadata": encoded(metadata(name, "b.mp3"))})
    assert deferred.status_code == 201
    url = deferred.headers["location"]
    head = httpx.head(url, headers={**AUTH, **TUS})
    assert head.headers["upload-defer-length"] == "1" and head.headers["upload-offset"] == "0"
    assert head.headers["cache-control"] == "no-store" and "bucketName" in head.headers["upload-metadata"]
    first = httpx.patch(url, content=MP3[:500], headers={**AUTH, **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert first.status_code == 204
    last = httpx.patch(url, content=MP3[500:], headers={
        **AUTH, **TUS, "Upload-Offset": "500", "Upload-Length": str(len(MP3)), "Content-Type": "application/offset+octet-stream"})
    assert last.status_code == 204
    assert storage.from_(name).download("b.mp3") == MP3


def test_termination_and_refusals(server, storage):
    name = fresh_bucket(storage, allowed_mime_types=["audio/*"], file_size_limit=1000)
    base = f"{server.base}/storage/v1/upload/resumable"
    create = lambda headers: httpx.post(base, headers={**TUS, "Upload-Metadata": encoded(metadata(name, "t.mp3")), **headers})
    assert create({"Upload-Length": "10"}).status_code == 403  # no key
    assert httpx.post(base, headers={**AUTH, "Upload-Length": "10", "Upload-Metadata": encoded(metadata(name, "t.mp3"))}).status_code == 412
    assert create({**AUTH, "Upload-Length": "1001"}).json()["code"] == "EntityTooLarge"
    assert create({**AUTH}).status_code == 400  # no length
    wrong_type = httpx.post(base, headers={**AUTH, **TUS, "Upload-Length": "10", "Upload-Metadata": encoded({**metadata(name, "t.txt"), "contentType": "text/plain"})})
    assert wrong_type.status_code == 415 and wrong_type.json()["code"] == "InvalidMimeType"
    no_name = httpx.post(base, headers={**AUTH, **TUS, "Upload-Length": "10", "Upload-Metadata": encoded({"bucketName": name})})
    assert no_name.status_code == 400
    bad_metadata = httpx.post(base, headers={**AUTH, **TUS, "Upload-Length": "10", "Upload-Metadata": "bucketName !!!"})
    assert bad_metadata.status_code == 400
    generated = httpx.post(base, headers={**AUTH, **TUS, "Upload-Length": "10", "Upload-Metadata": encoded(metadata("audio", "book/x.mp3"))})
    assert generated.status_code == 400

    url = create({**AUTH, "Upload-Length": "10"}).headers["location"]
    patch = lambda offset, body, **headers: httpx.patch(url, content=body, headers={
        **AUTH, **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream", **headers})
    assert patch(3, b"abc").status_code == 409  # not the offset
    assert patch(0, b"abc", **{"Content-Type": "application/octet-stream"}).status_code == 415
    assert patch(0, b"x" * 11).status_code == 413  # past Upload-Length
    assert httpx.head(url, headers={**AUTH, **TUS}).headers["upload-offset"] == "0"
    assert patch(0, b"abc").status_code == 204
    assert httpx.delete(url, headers=TUS).status_code == 403
    assert httpx.delete(url, headers={**AUTH, **TUS}).status_code == 204
    assert httpx.head(url, headers={**AUTH, **TUS}).status_code == 404
    assert patch(3, b"def").status_code == 404

    # A finished upload is the object now: it cannot be terminated.
    done = create({**AUTH, "Upload-Length": "3"})
    finished = httpx.patch(done.headers["location"], content=b"ID3", headers={**AUTH, **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert finished.status_code == 204
    assert httpx.delete(done.headers["location"], headers={**AUTH, **TUS}).status_code == 404
    # Without x-upsert an existing object refuses a new upload at creation; with it, the upload replaces it.
    assert create({**AUTH, "Upload-Length": "3"}).status_code == 409
    assert create({**AUTH, "Upload-Length": "3", "x-upsert": "true"}).status_code == 201


def test_options_and_cors_speak_tus(server):
    answer = httpx.options(f"{server.base}/storage/v1/upload/resumable")
    assert answer.status_code == 204
    assert answer.headers["tus-version"] == "1.0.0" and answer.headers["tus-resumable"] == "1.0.0"
    assert set(answer.headers["tus-extension"].split(",")) == {"creation", "creation-with-upload", "creation-defer-length", "termination", "expiration"}
    assert int(answer.headers["tus-max-size"]) > 0
    preflight = httpx.options(f"{server.base}/storage/v1/upload/resumable/abc", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "tus-resumable, upload-offset, content-type, authorization"})
    assert preflight.status_code == 204 and "PATCH" in preflight.headers["access-control-allow-methods"]
    created = httpx.post(f"{server.base}/storage/v1/upload/resumable", headers={**AUTH, **TUS, "Origin": "https://app.example", "Upload-Length": "1",
                         "Upload-Metadata": encoded(metadata("audio", "x/y.mp3"))})
    exposed = {h.strip().lower() for h in created.headers["access-control-expose-headers"].split(",")}
    assert {"location", "upload-offset", "upload-length", "tus-resumable", "upload-expires"} <= exposed


def test_location_follows_the_public_base_url(storage):
    behind_proxy = Server(VOICEVAULT_PUBLIC_BASE_URL="https://cdn.example/voice/")
    try:
        http = httpx.Client(base_url=f"{behind_proxy.base}/storage/v1", headers=AUTH)
        assert http.post("/bucket", json={"id": "p"}).status_code == 200
        created = http.post("/upload/resumable", headers={**TUS, "Upload-Length": "1", "Upload-Metadata": encoded(metadata("p", "a.mp3"))})
        assert created.headers["location"].startswith("https://cdn.example/voice/storage/v1/upload/resumable/")
    finally:
        behind_proxy.stop()


def test_location_without_a_public_url_is_the_host_the_client_used(server, storage):
    name = fresh_bucket(storage)
    create = lambda host, key: httpx.post(f"{server.base}/storage/v1/upload/resumable", headers={
        **AUTH, **TUS, "Upload-Length": "1", "Host": host, "Upload-Metadata": encoded(metadata(name, key))})
    assert create("vault.internal:9999", "a.mp3").headers["location"].startswith("http://vault.internal:9999/storage/v1/upload/resumable/")
    # A Host that would put a path, user info or a fragment into the Location is refused.
    for hostile in ["evil.example/x", "user@evil.example", "evil.example#"]:
        assert create(hostile, "b.mp3").status_code == 400, hostile


def test_abandoned_uploads_expire_and_are_swept():
    server = Server(VOICEVAULT_RESUMABLE_EXPIRY_SECONDS="1")
    try:
        http = httpx.Client(base_url=f"{server.base}/storage/v1", headers=AUTH)
        assert http.post("/bucket", json={"id": "e"}).status_code == 200
        create = lambda key: http.post("/upload/resumable", headers={**TUS, "Upload-Length": "100", "Upload-Metadata": encoded(metadata("e", key))})
        asked = create("asked.mp3").headers["location"]
        abandoned = create("abandoned.mp3").headers["location"]
        assert len(uploads_on_disk(server)) == 4  # two manifests, two part files
        # Asked after its expiry: 410, and its files go.
        deadline = time.time() + 30
        while http.head(asked, headers=TUS).status_code != 410:
            assert time.time() < deadline, "the upload never expired"
            time.sleep(0.1)
        # The other one nobody asks about is swept by the next creation.
        create("fresh.mp3")
        remaining = uploads_on_disk(server)
        assert len(remaining) == 2 and abandoned.rsplit("/", 1)[1] not in "".join(remaining)
    finally:
        server.stop()


def test_a_resume_after_the_server_was_killed_mid_upload(storage):
    first = Server()
    directory, port = first.directory, first.port
    data = payload(6 * MIB + 7)
    try:
        http = httpx.Client(base_url=f"{first.base}/storage/v1", headers=AUTH)
        assert http.post("/bucket", json={"id": "crash"}).status_code == 200
        client = tus.TusClient(f"{first.base}/storage/v1/upload/resumable", headers=AUTH)
        uploader = client.uploader(file_stream=io.BytesIO(data), chunk_size=MIB, metadata=metadata("crash", "chapter.mp3"))
        uploader.upload(stop_at=3 * MIB)
        assert uploader.offset == 3 * MIB
        url = uploader.url
        # A fourth chunk is on the wire, half sent, when the server dies.
        with start_patch(first, url, 3 * MIB, MIB, data[3 * MIB: 3 * MIB + MIB // 2]):
            first.kill()
    finally:
        if first.process.poll() is None:
            first.kill()
    second = Server(directory=directory, port=port)
    try:
        # The same upload URL, on the restarted server: it resumes from what was acknowledged.
        resumed = tus.TusClient(f"{second.base}/storage/v1/upload/resumable", headers=AUTH).uploader(
            file_stream=io.BytesIO(data), chunk_size=MIB, url=url)
        assert resumed.offset == 3 * MIB
        resumed.upload()
        http = httpx.Client(base_url=f"{second.base}/storage/v1", headers=AUTH)
        fetched = http.get("/object/crash/chapter.mp3")
        assert fetched.status_code == 200 and fetched.content == data
    finally:
        second.stop()


def test_one_writer_per_upload_and_a_bounded_number_of_uploads():
    server = Server(VOICEVAULT_RESUMABLE_MAX_UPLOADS="2")
    try:
        http = httpx.Client(base_url=f"{server.base}/storage/v1", headers=AUTH)
        assert http.post("/bucket", json={"id": "w"}).status_code == 200
        create = lambda key: http.post("/upload/resumable", headers={**TUS, "Upload-Length": "1000", "Upload-Metadata": encoded(metadata("w", key))})
        url = create("a.mp3").headers["location"]
        assert create("b.mp3").status_code == 201
        assert create("c.mp3").status_code == 429
        # A PATCH is on the wire, its body half sent: a second writer is refused rather than interleaved.
        with start_patch(server, url, 0, 1000, b"x" * 10) as raw:
            # A second writer (its offset deliberately stale, so it can change nothing whichever way it is refused)
            # is told the upload is busy once the first holds it; until then it hears only about the offset.
            deadline = time.time() + 30
            while True:
                second = httpx.patch(url, content=b"y", headers={**AUTH, **TUS, "Upload-Offset": "7",
                                                                 "Content-Type": "application/offset+octet-stream"})
                assert second.status_code == 409, second.text
                if "another request is writing" in second.json()["message"]:
                    break
                assert time.time() < deadline, "the first PATCH never took the upload"
                time.sleep(0.02)
            raw.sendall(b"x" * 990)
            assert b"204" in raw.recv(4096).split(b"\r\n")[0]
        assert http.get("/object/w/a.mp3").content == b"x" * 1000
    finally:
        server.stop()
