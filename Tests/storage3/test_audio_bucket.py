"""The generated voice assets as the Supabase bucket `audio`: the same files and bytes as /audio/..., no copies,
driven through the official storage3 client against a live voicevault."""
import os
import uuid

import httpx
import pytest
from storage3.exceptions import StorageApiError


def error_of(call) -> StorageApiError:
    with pytest.raises(StorageApiError) as caught:
        call()
    return caught.value


def asset_file(server, book: str, content_hash: str) -> str:
    return os.path.join(server.directory, "data", "audio", book, f"{content_hash}.mp3")


def uploaded_versions(server) -> list:
    return sorted(os.listdir(os.path.join(server.directory, "data", "objects")))


def test_generated_audio_appears_in_the_audio_bucket_as_the_same_file(storage, anonymous, server, generate):
    book = f"book-{uuid.uuid4().hex[:8]}"
    before = uploaded_versions(server)
    voice = generate("The audio bucket shows this sentence.", book)
    key = f"{book}/{voice['contentHash']}.mp3"
    served = httpx.get(f"{server.base}{voice['url']}").content
    assert len(served) == voice["bytes"]

    audio = storage.get_bucket("audio")
    assert (audio.id, audio.public, audio.allowed_mime_types) == ("audio", True, ["audio/mpeg"])
    assert "audio" in [bucket.id for bucket in storage.list_buckets()]

    assert book in [entry["name"] for entry in storage.from_("audio").list()]
    listed = storage.from_("audio").list(book)
    assert [entry["name"] for entry in listed] == [f"{voice['contentHash']}.mp3"]
    assert listed[0]["metadata"]["size"] == voice["bytes"] and listed[0]["metadata"]["mimetype"] == "audio/mpeg"

    # Every way of reading it gives the bytes /audio serves, from the one file on disk.
    assert storage.from_("audio").download(key) == served
    assert anonymous.from_("audio").download(key) == served
    assert httpx.get(storage.from_("audio").get_public_url(key)).content == served
    with open(asset_file(server, book, voice["contentHash"]), "rb") as on_disk:
        assert on_disk.read() == served
    assert uploaded_versions(server) == before  # nothing was copied into the object store

    info = storage.from_("audio").info(key)
    assert info["size"] == voice["bytes"] and info["content_type"] == "audio/mpeg"
    assert info["cache_control"] == "public, max-age=31536000, immutable"
    assert info["metadata"]["voiceId"] == "21m00Tcm4TlvDq8ikWAM"
    assert storage.from_("audio").exists(key)
    assert not storage.from_("audio").exists(f"{book}/{'0' * 64}.mp3")

    signed = storage.from_("audio").create_signed_url(key, 60)["signedURL"]
    ranged = httpx.get(signed, headers={"range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == served[10:20]


def test_audio_bucket_copy_links_and_remove_drops_one_books_reference(storage, server, generate):
    first, second = f"book-{uuid.uuid4().hex[:8]}", f"book-{uuid.uuid4().hex[:8]}"
    voice = generate("Shared between two books, stored once.", first)
    content_hash = voice["contentHash"]
    bucket = storage.from_("audio")

    assert bucket.copy(f"{first}/{content_hash}.mp3", f"{second}/{content_hash}.mp3")["Key"] == f"audio/{second}/{content_hash}.mp3"
    first_file, second_file = asset_file(server, first, content_hash), asset_file(server, second, content_hash)
    assert os.stat(first_file).st_ino == os.stat(second_file).st_ino  # a hard link, not a copy
    assert httpx.get(f"{server.base}/audio/{second}/{content_hash}.mp3").status_code == 200

    removed = bucket.remove([f"{first}/{content_hash}.mp3", f"{first}/missing.mp3"])
    assert [row["name"] for row in removed] == [f"{first}/{content_hash}.mp3"]
    assert httpx.get(f"{server.base}/audio/{first}/{content_hash}.mp3").status_code == 404
    assert not os.path.exists(first_file)
    kept = httpx.get(f"{server.base}/audio/{second}/{content_hash}.mp3")
    assert kept.status_code == 200 and len(kept.content) == voice["bytes"]
    assert httpx.get(f"{server.base}/api/voice/{content_hash}", headers={"Authorization": "Bearer storage-suite-key"}).status_code == 200

    # The last reference takes the asset with it: the next request generates again.
    assert [row["name"] for row in bucket.remove([f"{second}/{content_hash}.mp3"])] == [f"{second}/{content_hash}.mp3"]
    assert httpx.get(f"{server.base}/api/voice/{content_hash}", headers={"Authorization": "Bearer storage-suite-key"}).status_code == 404
    assert generate("Shared between two books, stored once.", first)["cached"] is False


def test_audio_bucket_refuses_uploads_and_changes_with_clear_errors(storage, server, generate):
    book = f"book-{uuid.uuid4().hex[:8]}"
    voice = generate("Immutable under its hash.", book)
    bucket = storage.from_("audio")
    refused = error_of(lambda: bucket.upload(f"{book}/{voice['contentHash']}.mp3", b"other bytes", {"content-type": "audio/mpeg", "upsert": "true"}))
    assert str(refused.status) == "400" and "POST /api/voice" in refused.message
    assert str(error_of(lambda: storage.delete_bucket("audio")).status) == "400"
    assert str(error_of(lambda: storage.update_bucket("audio", {"public": False})).status) == "400"
    assert str(error_of(lambda: storage.create_bucket("audio")).status) == "409"
    other = error_of(lambda: bucket.copy(f"{book}/{voice['contentHash']}.mp3", f"{book}-2/{'0' * 64}.mp3"))
    assert str(other.status) == "400"
    # Nothing changed: the bytes are still the generated audio.
    assert storage.from_("audio").download(f"{book}/{voice['contentHash']}.mp3") == httpx.get(f"{server.base}{voice['url']}").content
    assert len(httpx.get(f"{server.base}{voice['url']}").content) == voice["bytes"]
