"""Move and copy between buckets, as supabase-js sends them (`destinationBucket` beside bucketId, sourceKey and
destinationKey; storage3 2.34.1 has no argument for it, so the requests are made as supabase-js makes them)
against a live voicevault, then read back with storage3."""
import os
import uuid

import httpx

from conftest import AUTH

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + os.urandom(4096)


def fresh_bucket(storage, **options) -> str:
    name = f"x-{uuid.uuid4().hex[:10]}"
    storage.create_bucket(name, options=options or None)
    return name


def inode(server, bucket_storage, bucket: str, key: str) -> int:
    version = bucket_storage.from_(bucket).info(key)["version"]
    return os.stat(os.path.join(server.directory, "data", "objects", version)).st_ino


def transfer(http, verb: str, bucket: str, source: str, destination_bucket: str, destination: str):
    return http.post(f"/object/{verb}", headers=AUTH, json={
        "bucketId": bucket, "sourceKey": source, "destinationBucket": destination_bucket, "destinationKey": destination})


def test_copy_and_move_into_another_bucket_link_the_same_bytes(storage, server, http):
    source, target = fresh_bucket(storage), fresh_bucket(storage)
    storage.from_(source).upload("chapter.mp3", MP3, {"content-type": "audio/mpeg", "cache-control": "120"})

    copied = transfer(http, "copy", source, "chapter.mp3", target, "copies/chapter.mp3")
    assert copied.status_code == 200, copied.text
    assert copied.json()["Key"] == f"{target}/copies/chapter.mp3"
    assert storage.from_(target).download("copies/chapter.mp3") == MP3
    assert storage.from_(source).download("chapter.mp3") == MP3
    info = storage.from_(target).info("copies/chapter.mp3")
    assert info["content_type"] == "audio/mpeg" and info["cache_control"] == "max-age=120"
    # A hard link to the same immutable file: no bytes were copied.
    assert inode(server, storage, target, "copies/chapter.mp3") == inode(server, storage, source, "chapter.mp3")

    moved = transfer(http, "move", source, "chapter.mp3", target, "moved.mp3")
    assert moved.status_code == 200 and moved.json() == {"message": "Successfully moved"}
    assert storage.from_(target).download("moved.mp3") == MP3
    assert not storage.from_(source).exists("chapter.mp3")
    assert [entry["name"] for entry in storage.from_(source).list()] == []


def test_the_destination_buckets_rules_and_existing_keys_apply(storage, http):
    source = fresh_bucket(storage)
    images_only = fresh_bucket(storage, allowed_mime_types=["image/*"])
    tiny = fresh_bucket(storage, file_size_limit=100)
    storage.from_(source).upload("a.mp3", MP3, {"content-type": "audio/mpeg"})
    storage.from_(source).upload("b.mp3", MP3, {"content-type": "audio/mpeg"})

    refused = transfer(http, "copy", source, "a.mp3", images_only, "a.mp3")
    assert refused.status_code == 415 and refused.json()["error"] == "invalid_mime_type"
    too_large = transfer(http, "move", source, "a.mp3", tiny, "a.mp3")
    assert too_large.status_code == 413
    assert storage.from_(source).download("a.mp3") == MP3  # a refused move leaves the source alone

    other = fresh_bucket(storage)
    assert transfer(http, "copy", source, "a.mp3", other, "same.mp3").status_code == 200
    duplicate = transfer(http, "copy", source, "b.mp3", other, "same.mp3")
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "Duplicate"
    missing_bucket = transfer(http, "copy", source, "a.mp3", "no-such-bucket", "a.mp3")
    assert missing_bucket.status_code == 404 and missing_bucket.json()["error"] == "Bucket not found"
    missing_object = transfer(http, "copy", source, "nothing.mp3", other, "n.mp3")
    assert missing_object.status_code == 404 and missing_object.json()["error"] == "not_found"


def test_generated_audio_can_be_copied_out_of_the_audio_bucket_but_nothing_goes_in(storage, server, http, generate):
    book = f"book-{uuid.uuid4().hex[:8]}"
    voice = generate("This sentence leaves the audio bucket as an ordinary object.", book)
    key = f"{book}/{voice['contentHash']}.mp3"
    served = httpx.get(f"{server.base}{voice['url']}").content
    archive = fresh_bucket(storage)

    copied = transfer(http, "copy", "audio", key, archive, "kept/chapter-1.mp3")
    assert copied.status_code == 200, copied.text
    assert storage.from_(archive).download("kept/chapter-1.mp3") == served
    asset_path = os.path.join(server.directory, "data", "audio", book, f"{voice['contentHash']}.mp3")
    assert inode(server, storage, archive, "kept/chapter-1.mp3") == os.stat(asset_path).st_ino
    assert storage.from_("audio").exists(key)  # a copy leaves the generated asset where it was

    into_audio = transfer(http, "copy", archive, "kept/chapter-1.mp3", "audio", key.replace(book, book + "-2"))
    assert into_audio.status_code == 400 and "audio bucket" in into_audio.json()["message"]

    moved = transfer(http, "move", "audio", key, archive, "kept/moved.mp3")
    assert moved.status_code == 200, moved.text
    assert storage.from_(archive).download("kept/moved.mp3") == served
    # The move dropped this book's reference to the asset, as a remove from the audio bucket does.
    assert not storage.from_("audio").exists(key)
    assert httpx.get(f"{server.base}{voice['url']}").status_code == 404
    # The bytes live on as the archive's objects (hard links), whatever becomes of the asset.
    assert storage.from_(archive).download("kept/chapter-1.mp3") == served
