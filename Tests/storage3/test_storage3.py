"""Supabase Storage compatibility, proven with the official storage3 client (pinned in requirements.txt)
against a live voicevault. Every round trip compares bytes exactly."""
import os
import time
import uuid

import httpx
import pytest
from storage3.exceptions import StorageApiError

from conftest import AUTH, ROOT

MP3 = open(os.path.join(ROOT, "Fixtures", sorted(f for f in os.listdir(os.path.join(ROOT, "Fixtures")) if f.endswith(".mp3"))[0]), "rb").read()
AUDIO = {"content-type": "audio/mpeg"}


def fresh_bucket(storage, public=False, **options) -> str:
    name = f"b-{uuid.uuid4().hex[:10]}"
    storage.create_bucket(name, options={"public": public, **options})
    return name


def error_of(call) -> StorageApiError:
    with pytest.raises(StorageApiError) as caught:
        call()
    return caught.value


# Buckets

def test_bucket_lifecycle(storage):
    name = f"b-{uuid.uuid4().hex[:10]}"
    assert storage.create_bucket(name, options={"public": True, "file_size_limit": "50MB", "allowed_mime_types": ["audio/*"]}) == {"name": name}
    bucket = storage.get_bucket(name)
    assert (bucket.id, bucket.name, bucket.public) == (name, name, True)
    assert bucket.file_size_limit == 50_000_000
    assert bucket.allowed_mime_types == ["audio/*"]
    assert bucket.owner == "" and bucket.created_at and bucket.updated_at
    assert name in [b.id for b in storage.list_buckets()]

    assert storage.update_bucket(name, {"public": False, "file_size_limit": 1024, "allowed_mime_types": ["audio/mpeg"]}) == {"message": "Successfully updated"}
    bucket = storage.get_bucket(name)
    assert (bucket.public, bucket.file_size_limit, bucket.allowed_mime_types) == (False, 1024, ["audio/mpeg"])

    duplicate = error_of(lambda: storage.create_bucket(name))
    assert (str(duplicate.status), duplicate.code) == ("409", "Duplicate")
    missing = error_of(lambda: storage.get_bucket("no-such-bucket"))
    assert str(missing.status) == "404"


def test_delete_non_empty_bucket_is_refused_until_emptied(storage):
    name = fresh_bucket(storage)
    storage.from_(name).upload("a.mp3", MP3, AUDIO)
    refused = error_of(lambda: storage.delete_bucket(name))
    assert str(refused.status) == "409"
    assert storage.empty_bucket(name) == {"message": "Successfully emptied"}
    assert storage.from_(name).list() == []
    assert storage.delete_bucket(name) == {"message": "Successfully deleted"}
    assert name not in [b.id for b in storage.list_buckets()]


def test_bucket_limits_are_enforced(storage):
    name = fresh_bucket(storage, file_size_limit="10KB", allowed_mime_types=["audio/*"])
    too_large = error_of(lambda: storage.from_(name).upload("big.mp3", MP3, AUDIO))
    assert str(too_large.status) == "413"
    storage.update_bucket(name, {"file_size_limit": None})
    wrong_type = error_of(lambda: storage.from_(name).upload("notes.txt", b"hello", {"content-type": "text/plain"}))
    assert (str(wrong_type.status), wrong_type.code) == ("415", "invalid_mime_type")
    assert storage.from_(name).upload("ok.mp3", MP3, AUDIO).path == "ok.mp3"


# Objects

def test_upload_download_with_a_key_holding_spaces_and_plus(storage):
    name = fresh_bucket(storage)
    key = "chapter one/part 1+2 (final).mp3"
    answer = storage.from_(name).upload(key, MP3, AUDIO)
    assert answer.path == key and answer.full_path == f"{name}/{key}"
    assert storage.from_(name).download(key) == MP3
    info = storage.from_(name).info(key)
    assert info["name"] == key and info["size"] == len(MP3) and info["content_type"] == "audio/mpeg"
    assert info["cache_control"] == "max-age=3600" and info["bucket_id"] == name
    # "+" is a plus, not a space: the key with a space in its place does not exist.
    assert storage.from_(name).exists(key)
    assert not storage.from_(name).exists("chapter one/part 1 2 (final).mp3")


def test_duplicate_upload_without_upsert_then_upsert_and_update(storage):
    bucket = storage.from_(fresh_bucket(storage))
    bucket.upload("a.mp3", MP3, AUDIO)
    duplicate = error_of(lambda: bucket.upload("a.mp3", b"other bytes", AUDIO))
    assert (str(duplicate.status), duplicate.code) == ("409", "Duplicate")
    assert bucket.download("a.mp3") == MP3

    bucket.upload("a.mp3", MP3[:1000], {**AUDIO, "upsert": "true"})
    assert bucket.download("a.mp3") == MP3[:1000]
    bucket.update("a.mp3", MP3[:500], {**AUDIO, "cache-control": "60", "metadata": {"chapter": 3}})
    assert bucket.download("a.mp3") == MP3[:500]
    info = bucket.info("a.mp3")
    assert info["cache_control"] == "max-age=60" and info["metadata"] == {"chapter": 3}


def test_raw_body_upload_and_head(http, storage):
    name = fresh_bucket(storage)
    raw = http.post(f"/object/{name}/raw/file.mp3", content=MP3, headers={**AUTH, "content-type": "audio/mpeg", "cache-control": "max-age=7"})
    assert raw.status_code == 200 and raw.json()["Key"] == f"{name}/raw/file.mp3"
    head = http.head(f"/object/{name}/raw/file.mp3", headers=AUTH)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(MP3))
    assert head.headers["content-type"] == "audio/mpeg" and head.headers["cache-control"] == "max-age=7"
    assert head.headers["etag"].startswith('"') and head.content == b""
    assert storage.from_(name).download("raw/file.mp3") == MP3


def test_public_and_private_buckets(storage, anonymous, http):
    public = fresh_bucket(storage, public=True)
    private = fresh_bucket(storage, public=False)
    for bucket in (public, private):
        storage.from_(bucket).upload("a/b.mp3", MP3, AUDIO)

    url = storage.from_(public).get_public_url("a/b.mp3")
    assert url.endswith(f"/storage/v1/object/public/{public}/a/b.mp3")
    fetched = httpx.get(url)
    assert fetched.status_code == 200 and fetched.content == MP3
    assert fetched.headers["accept-ranges"] == "bytes"

    hidden = httpx.get(storage.from_(private).get_public_url("a/b.mp3"))
    assert hidden.status_code == 404 and hidden.json() == {"statusCode": "404", "code": "NoSuchKey", "error": "not_found", "message": "Object not found"}

    # Without a key: public objects read, private ones do not exist, and nothing can be written.
    assert anonymous.from_(public).download("a/b.mp3") == MP3
    assert str(error_of(lambda: anonymous.from_(private).download("a/b.mp3")).status) == "404"
    refused = error_of(lambda: anonymous.from_(public).upload("x.mp3", MP3, AUDIO))
    assert (str(refused.status), refused.code) == ("403", "Unauthorized")
    assert str(error_of(lambda: anonymous.list_buckets()).status) == "403"


def test_a_valid_apikey_beside_a_user_session_token_is_enough(server, storage):
    """supabase-js and supabase-py send the project key as apikey and a user's session JWT as the Bearer."""
    from storage3 import SyncStorageClient
    from conftest import KEY
    name = fresh_bucket(storage)
    session = SyncStorageClient(f"{server.base}/storage/v1/", {"apikey": KEY, "Authorization": "Bearer eyJhbGciOi.user.session"})
    assert session.from_(name).upload("s.mp3", MP3, AUDIO).path == "s.mp3"
    assert session.from_(name).download("s.mp3") == MP3
    foreign = SyncStorageClient(f"{server.base}/storage/v1/", {"apikey": "anon-key", "Authorization": "Bearer eyJhbGciOi.user.session"})
    assert str(error_of(lambda: foreign.from_(name).download("s.mp3")).status) == "404"


def test_download_ranges_and_conditionals_use_the_range_engine(storage, http):
    name = fresh_bucket(storage)
    storage.from_(name).upload("r.mp3", MP3, AUDIO)
    ranged = http.get(f"/object/{name}/r.mp3", headers={**AUTH, "range": "bytes=100-199"})
    assert ranged.status_code == 206 and ranged.content == MP3[100:200]
    assert ranged.headers["content-range"] == f"bytes 100-199/{len(MP3)}"
    suffix = http.get(f"/object/{name}/r.mp3", headers={**AUTH, "range": "bytes=-10"})
    assert suffix.status_code == 206 and suffix.content == MP3[-10:]
    etag = ranged.headers["etag"]
    assert http.get(f"/object/{name}/r.mp3", headers={**AUTH, "if-none-match": etag}).status_code == 304
    unsatisfiable = http.get(f"/object/{name}/r.mp3", headers={**AUTH, "range": f"bytes={len(MP3)}-"})
    assert unsatisfiable.status_code == 416 and unsatisfiable.headers["content-range"] == f"bytes */{len(MP3)}"
    attachment = http.get(f"/object/{name}/r.mp3?download=my%20file.mp3", headers=AUTH)
    assert attachment.headers["content-disposition"] == 'attachment; filename="my_file.mp3"'


def test_list_with_folders_prefix_limit_offset_sort_and_search(storage):
    bucket = storage.from_(fresh_bucket(storage))
    for key in ["book/ch1.mp3", "book/ch2.mp3", "book/ch3.mp3", "book/extra/notes.mp3", "cover.mp3", "blurb.mp3"]:
        bucket.upload(key, MP3[: 100 + len(key)], AUDIO)
        time.sleep(0.01)

    root = bucket.list()
    assert [entry["name"] for entry in root] == ["blurb.mp3", "book", "cover.mp3"]
    folder = next(entry for entry in root if entry["name"] == "book")
    assert folder["id"] is None and folder["metadata"] is None
    file = next(entry for entry in root if entry["name"] == "cover.mp3")
    assert file["id"] and file["metadata"]["size"] == 100 + len("cover.mp3") and file["metadata"]["mimetype"] == "audio/mpeg"

    assert [e["name"] for e in bucket.list("book")] == ["ch1.mp3", "ch2.mp3", "ch3.mp3", "extra"]
    assert [e["name"] for e in bucket.list("book/")] == ["ch1.mp3", "ch2.mp3", "ch3.mp3", "extra"]
    assert [e["name"] for e in bucket.list("book", {"limit": 2, "offset": 1})] == ["ch2.mp3", "ch3.mp3"]
    assert [e["name"] for e in bucket.list("book", {"sortBy": {"column": "name", "order": "desc"}})] == ["extra", "ch3.mp3", "ch2.mp3", "ch1.mp3"]
    newest_first = bucket.list("book", {"sortBy": {"column": "created_at", "order": "desc"}})
    assert [e["name"] for e in newest_first] == ["extra", "ch3.mp3", "ch2.mp3", "ch1.mp3"]  # folders (null) first, as SQL sorts NULLs
    assert [e["name"] for e in bucket.list("book", {"search": "CH2"})] == ["ch2.mp3"]
    assert [e["name"] for e in bucket.list("book/extra")] == ["notes.mp3"]
    assert bucket.list("nothing-here") == []


def test_remove_returns_deleted_rows_and_skips_missing_keys(storage):
    bucket = storage.from_(fresh_bucket(storage))
    bucket.upload("x/1.mp3", MP3, AUDIO)
    bucket.upload("x/2.mp3", MP3, AUDIO)
    removed = bucket.remove(["x/1.mp3", "x/missing.mp3"])
    assert [row["name"] for row in removed] == ["x/1.mp3"]
    assert removed[0]["metadata"]["size"] == len(MP3)
    assert bucket.remove(["x/missing.mp3"]) == []
    assert not bucket.exists("x/1.mp3") and bucket.exists("x/2.mp3")


def test_move_and_copy(storage):
    bucket = storage.from_(fresh_bucket(storage))
    bucket.upload("from.mp3", MP3, AUDIO)
    assert bucket.copy("from.mp3", "copies/copy.mp3")["Key"].endswith("/copies/copy.mp3")
    assert bucket.move("from.mp3", "moved/to here.mp3") == {"message": "Successfully moved"}
    assert not bucket.exists("from.mp3")
    assert bucket.download("moved/to here.mp3") == MP3
    assert bucket.download("copies/copy.mp3") == MP3
    # The copy is independent: replacing the original leaves it intact.
    bucket.update("moved/to here.mp3", b"replaced", AUDIO)
    assert bucket.download("copies/copy.mp3") == MP3
    assert str(error_of(lambda: bucket.move("nope.mp3", "x.mp3")).status) == "404"
    assert str(error_of(lambda: bucket.copy("copies/copy.mp3", "moved/to here.mp3")).status) == "409"


def test_signed_urls_single_batch_range_expiry_and_tampering(storage, http):
    name = fresh_bucket(storage)
    bucket = storage.from_(name)
    key = "signed dir/a+b.mp3"
    bucket.upload(key, MP3, AUDIO)

    signed = bucket.create_signed_url(key, 3600)["signedURL"]
    assert "token=" in signed
    assert httpx.get(signed).content == MP3
    ranged = httpx.get(signed, headers={"range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content == MP3[:100]

    # expiresIn as a number works as well as the string storage3 sends.
    numeric = http.post(f"/object/sign/{name}/{key.replace(' ', '%20')}", json={"expiresIn": 60}, headers=AUTH)
    assert numeric.status_code == 200 and httpx.get(f"{http.base_url}{numeric.json()['signedURL']}").content == MP3

    batch = bucket.create_signed_urls([key, "missing.mp3"], 3600)
    assert batch[0]["path"] == key and batch[0]["error"] is None
    assert httpx.get(batch[0]["signedURL"]).content == MP3
    assert batch[1]["path"] == "missing.mp3" and batch[1]["error"] and batch[1]["signedURL"] is None

    header, payload, signature = signed.split("token=")[1].split(".")
    forged = signed.split("token=")[0] + "token=" + ".".join([header, payload, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")])
    tampered = httpx.get(forged)
    assert tampered.status_code == 400 and tampered.json()["error"] == "InvalidJWT"
    other = httpx.get(signed.replace("a+b.mp3", "other.mp3"))
    assert other.status_code == 400 and other.json()["error"] == "InvalidJWT"

    short = bucket.create_signed_url(key, 1)["signedURL"]
    time.sleep(2.1)
    expired = httpx.get(short)
    assert expired.status_code == 400 and expired.json()["statusCode"] == "400" and expired.json()["error"] == "ExpiredToken"


def test_invalid_keys_and_missing_objects(storage, http):
    name = fresh_bucket(storage)
    bucket = storage.from_(name)
    assert str(error_of(lambda: bucket.download("missing.mp3")).status) == "404"
    assert str(error_of(lambda: bucket.info("missing.mp3")).status) == "404"
    bad = http.post(f"/object/{name}/caf%C3%A9.mp3", content=b"x", headers={**AUTH, "content-type": "audio/mpeg"})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidKey"
    bad_escape = http.get(f"/object/{name}/%ZZ.mp3", headers=AUTH)
    assert bad_escape.status_code == 400
    traversal = http.get(f"/object/{name}/a/%2E%2E/b.mp3", headers=AUTH)
    assert traversal.status_code == 400 and traversal.json()["error"] == "InvalidKey"
    assert str(error_of(lambda: storage.from_("no-such-bucket").upload("a.mp3", MP3, AUDIO)).status) == "404"
    not_json = http.post(f"/object/list/{name}", content=b"{not json", headers=AUTH)
    assert not_json.status_code == 400 and not_json.json()["error"] == "InvalidRequest"
    huge = http.request("DELETE", f"/object/{name}", json={"prefixes": ["k" * 100] * 20000}, headers=AUTH)
    assert huge.status_code == 413 and huge.json() == {"statusCode": "413", "code": "EntityTooLarge", "error": "Payload too large", "message": huge.json()["message"]}
