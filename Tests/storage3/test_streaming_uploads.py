"""Uploads stream to disk as they arrive: memory stays bounded for any size, an oversized upload stops at the
limit, and nothing is left behind when an upload fails."""
import hashlib
import os
import uuid

import httpx
import pytest
from storage3 import SyncStorageClient
from storage3.exceptions import StorageApiError

from conftest import AUTH, KEY, Server

MIB = 1024 * 1024
SIZE = 48 * MIB


@pytest.fixture(scope="module")
def big_server():
    running = Server(VOICEVAULT_MAX_UPLOAD_BYTES=str(64 * MIB), VOICEVAULT_DOWNLOAD_CACHE_MIB="0")
    yield running
    running.stop()


def payload(size: int) -> bytes:
    block = hashlib.sha256(b"voicevault").digest() * (MIB // 32)
    return (block * (size // len(block) + 1))[:size]


def leftovers(server) -> list:
    return os.listdir(os.path.join(server.directory, "data", "tmp"))


def test_large_raw_and_multipart_uploads_use_bounded_memory(big_server):
    storage = SyncStorageClient(f"{big_server.base}/storage/v1/", {"apikey": KEY, "Authorization": f"Bearer {KEY}"})
    name = f"big-{uuid.uuid4().hex[:8]}"
    storage.create_bucket(name)
    data = payload(SIZE)
    expected = hashlib.sha256(data).hexdigest()

    before = big_server.peak_resident_kib()
    chunks = (data[i:i + MIB] for i in range(0, SIZE, MIB))  # chunked transfer: the client never sends a length
    raw = httpx.post(f"{big_server.base}/storage/v1/object/{name}/raw.bin", content=chunks, timeout=120,
                     headers={**AUTH, "content-type": "application/octet-stream"})
    assert raw.status_code == 200, raw.text
    raw_growth = big_server.peak_resident_kib() - before

    storage.from_(name).upload("multi.bin", data, {"content-type": "application/octet-stream"})
    multipart_growth = big_server.peak_resident_kib() - before

    # Holding a 48 MiB body whole (and a copy of it) would raise the peak by 96 MiB or more.
    assert raw_growth < 24 * 1024, f"peak resident memory grew by {raw_growth} KiB for a raw upload"
    assert multipart_growth < 24 * 1024, f"peak resident memory grew by {multipart_growth} KiB for a multipart upload"

    for key in ("raw.bin", "multi.bin"):
        info = storage.from_(name).info(key)
        assert info["size"] == SIZE and info["etag"] == f'"{expected}"'
        assert hashlib.sha256(storage.from_(name).download(key)).hexdigest() == expected
    assert leftovers(big_server) == []


def test_an_oversized_upload_stops_at_the_limit_and_leaves_nothing(big_server):
    storage = SyncStorageClient(f"{big_server.base}/storage/v1/", {"apikey": KEY, "Authorization": f"Bearer {KEY}"})
    name = f"small-{uuid.uuid4().hex[:8]}"
    storage.create_bucket(name, options={"file_size_limit": "1MB"})
    objects_before = sorted(os.listdir(os.path.join(big_server.directory, "data", "objects")))

    with pytest.raises(StorageApiError) as refused:
        storage.from_(name).upload("too-big.bin", payload(5 * MIB), {"content-type": "application/octet-stream"})
    assert str(refused.value.status) == "413"
    raw = httpx.post(f"{big_server.base}/storage/v1/object/{name}/too-big-raw.bin", content=payload(3 * MIB), timeout=60,
                     headers={**AUTH, "content-type": "application/octet-stream"})
    assert raw.status_code == 413 and raw.json()["error"] == "Payload too large"

    assert not storage.from_(name).exists("too-big.bin") and not storage.from_(name).exists("too-big-raw.bin")
    assert leftovers(big_server) == []
    assert sorted(os.listdir(os.path.join(big_server.directory, "data", "objects"))) == objects_before
    # The connection and the server are fine afterwards.
    assert storage.from_(name).upload("fits.bin", payload(1000), {"content-type": "application/octet-stream"}).path == "fits.bin"
