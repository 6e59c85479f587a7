"""Supabase Storage round two with the official storage3 client: signed upload URLs, list-v2, bucket listing
options, and the exact behaviours clients notice (error codes, list order, search, cache control, metadata,
folder placeholders, signed-download headers, copy upsert, CDN purge). Live server, real socket."""
import base64
import json
import time
import uuid
from email.utils import parsedate_to_datetime

from storage3.types import CreateSignedUploadUrlOptions

from conftest import AUTH
from test_storage3 import AUDIO, MP3, error_of, fresh_bucket


# Signed upload URLs

def test_signed_upload_url_lets_a_keyless_client_upload_that_key_once(storage, anonymous):
    name = fresh_bucket(storage)
    signed = storage.from_(name).create_signed_upload_url("chapters/one 1+1.mp3")
    assert signed["token"] and "/object/upload/sign/" in signed["signed_url"]
    # A client with no key at all uploads with the token alone.
    answer = anonymous.from_(name).upload_to_signed_url("chapters/one 1+1.mp3", signed["token"], MP3, AUDIO)
    assert answer.path == "chapters/one 1+1.mp3"
    assert storage.from_(name).download("chapters/one 1+1.mp3") == MP3
    # Without upsert in the token, a second upload of the same key is a duplicate.
    again = error_of(lambda: anonymous.from_(name).upload_to_signed_url("chapters/one 1+1.mp3", signed["token"], b"other", AUDIO))
    assert str(again.status) == "409"
    assert storage.from_(name).download("chapters/one 1+1.mp3") == MP3


def test_upsert_comes_from_the_token(storage, anonymous):
    name = fresh_bucket(storage)
    storage.from_(name).upload("a.mp3", MP3, AUDIO)
    signed = storage.from_(name).create_signed_upload_url("a.mp3", CreateSignedUploadUrlOptions(upsert="true"))
    anonymous.from_(name).upload_to_signed_url("a.mp3", signed["token"], MP3[:500], AUDIO)
    assert storage.from_(name).download("a.mp3") == MP3[:500]
    # The client cannot widen a plain token with its own x-upsert header.
    plain = storage.from_(name).create_signed_upload_url("a.mp3")
    refused = error_of(lambda: anonymous.from_(name).upload_to_signed_url(
        "a.mp3", plain["token"], b"x", {**AUDIO, "headers": {"x-upsert": "true"}}))
    assert str(refused.status) == "409"


def test_upload_and_download_tokens_are_scoped(storage, anonymous, http):
    name = fresh_bucket(storage)
    storage.from_(name).upload("a.mp3", MP3, AUDIO)
    download_url = storage.from_(name).create_signed_url("a.mp3", 60)["signedURL"]
    download_token = download_url.split("token=")[1]
    refused = error_of(lambda: anonymous.from_(name).upload_to_signed_url("a.mp3", download_token, b"x", AUDIO))
    assert refused.code == "InvalidJWT"
    upload_token = storage.from_(name).create_signed_upload_url("b.mp3")["token"]
    fetched = http.get(f"/object/sign/{name}/b.mp3", params={"token": upload_token})
    assert fetched.status_code == 400 and fetched.json()["error"] == "InvalidJWT"
    # A token for one key uploads nothing else.
    other = error_of(lambda: anonymous.from_(name).upload_to_signed_url("c.mp3", upload_token, b"x", AUDIO))
    assert other.code == "InvalidJWT"
    assert [e["name"] for e in storage.from_(name).list()] == ["a.mp3"]


def test_signed_uploads_follow_the_bucket_rules(storage, anonymous):
    name = fresh_bucket(storage, file_size_limit=1000, allowed_mime_types=["audio/mpeg"])
    token = storage.from_(name).create_signed_upload_url("big.mp3")["token"]
    too_big = error_of(lambda: anonymous.from_(name).upload_to_signed_url("big.mp3", token, MP3, AUDIO))
    assert str(too_big.status) == "413"
    token = storage.from_(name).create_signed_upload_url("page.html")["token"]
    wrong_type = error_of(lambda: anonymous.from_(name).upload_to_signed_url("page.html", token, b"<p>", {"content-type": "text/html"}))
    assert str(wrong_type.status) == "415"
    # The generated audio bucket takes no uploads, signed or not.
    refused = error_of(lambda: storage.from_("audio").create_signed_upload_url("book/x.mp3"))
    assert str(refused.status) == "400"


def test_static_route_names_are_reserved_for_buckets(storage, http):
    for reserved in ["upload", "list-v2", "sign", "public"]:
        refused = error_of(lambda: storage.create_bucket(reserved))
        assert str(refused.status) == "400", reserved
    # A signed-upload call is never taken for an upload into a bucket called "upload".
    name = fresh_bucket(storage)
    answer = http.post(f"/object/upload/sign/{name}/x.mp3", headers=AUTH)
    assert answer.status_code == 200 and answer.json()["url"].startswith(f"/object/upload/sign/{name}/x.mp3?token=")


# list-v2

def upload_tree(storage) -> str:
    name = fresh_bucket(storage)
    for key in ["a.mp3", "book/ch1.mp3", "book/ch2.mp3", "book/extra/n.mp3", "bz.mp3", "c/d.mp3"]:
        storage.from_(name).upload(key, MP3[:200], AUDIO)
        time.sleep(0.01)
    return name


def test_list_v2_flat_and_delimited(storage):
    bucket = storage.from_(upload_tree(storage))
    flat = bucket.list_v2()
    assert [o.key for o in flat.objects] == ["a.mp3", "book/ch1.mp3", "book/ch2.mp3", "book/extra/n.mp3", "bz.mp3", "c/d.mp3"]
    assert flat.folders == [] and not flat.hasNext
    delimited = bucket.list_v2({"with_delimiter": True})
    assert [f.key for f in delimited.folders] == ["book/", "c/"]
    assert [f.name for f in delimited.folders] == ["book", "c"]
    assert [o.name for o in delimited.objects] == ["a.mp3", "bz.mp3"]
    inside = bucket.list_v2({"prefix": "book/", "with_delimiter": True})
    assert [o.name for o in inside.objects] == ["ch1.mp3", "ch2.mp3"] and [f.key for f in inside.folders] == ["book/extra/"]
    partial = bucket.list_v2({"prefix": "b"})
    assert [o.key for o in partial.objects] == ["book/ch1.mp3", "book/ch2.mp3", "book/extra/n.mp3", "bz.mp3"]
    assert partial.objects[0].metadata["size"] == 200


def test_list_v2_cursors_walk_every_order(storage):
    bucket = storage.from_(upload_tree(storage))
    for sort in [None, {"column": "name", "order": "desc"}, {"column": "created_at", "order": "asc"}, {"column": "updated_at", "order": "desc"}]:
        for delimited in [False, True]:
            options = {"with_delimiter": delimited, **({"sortBy": sort} if sort else {})}
            whole = bucket.list_v2({**options, "limit": 1000})
            expected = [f.key for f in whole.folders] + [o.key for o in whole.objects]
            seen, cursor = [], None
            while True:
                page = bucket.list_v2({**options, "limit": 2, **({"cursor": cursor} if cursor else {})})
                seen += [f.key for f in page.folders] + [o.key for o in page.objects]
                if not page.hasNext:
                    break
                cursor = page.nextCursor
            assert sorted(seen) == sorted(expected) and len(seen) == len(expected), (sort, delimited)
    # Newest first really is newest first.
    newest = bucket.list_v2({"sortBy": {"column": "created_at", "order": "desc"}})
    assert newest.objects[0].key == "c/d.mp3"


def test_list_v2_refuses_a_foreign_cursor(storage):
    bucket = storage.from_(upload_tree(storage))
    page = bucket.list_v2({"limit": 1})
    refused = error_of(lambda: bucket.list_v2({"prefix": "book/", "cursor": page.nextCursor}))
    assert str(refused.status) == "400"
    refused = error_of(lambda: bucket.list_v2({"cursor": "not-a-cursor"}))
    assert str(refused.status) == "400"


def test_list_buckets_takes_search_sort_limit_and_offset(storage, http):
    tag = uuid.uuid4().hex[:6]
    for suffix in ["alpha", "beta", "gamma"]:
        storage.create_bucket(f"opt-{tag}-{suffix}")
        time.sleep(0.01)
    names = lambda **query: [b["name"] for b in http.get("/bucket", params=query, headers=AUTH).json()]
    assert names(search=f"OPT-{tag}") == [f"opt-{tag}-alpha", f"opt-{tag}-beta", f"opt-{tag}-gamma"]
    assert names(search=tag, sortColumn="created_at", sortOrder="desc") == [f"opt-{tag}-gamma", f"opt-{tag}-beta", f"opt-{tag}-alpha"]
    assert names(search=tag, limit="1", offset="1") == [f"opt-{tag}-beta"]
    assert http.get("/bucket", params={"sortColumn": "size"}, headers=AUTH).status_code == 400


# Exact behaviour

def test_error_bodies_carry_the_code_storage_js_reads(storage, http):
    name = fresh_bucket(storage)
    codes = {
        "missing object": http.get(f"/object/{name}/nothing.mp3", headers=AUTH),
        "missing bucket": http.get("/bucket/no-such-bucket-here", headers=AUTH),
        "invalid key": http.get(f"/object/{name}/a/%2E%2E/b", headers=AUTH),
        "bad token": http.get(f"/object/sign/{name}/a.mp3", params={"token": "x.y.z"}),
        "no key": http.post(f"/object/{name}/a.mp3", content=b"x"),
    }
    storage.from_(name).upload("a.mp3", MP3, AUDIO)
    codes["duplicate"] = http.post(f"/object/{name}/a.mp3", content=MP3, headers={**AUTH, "content-type": "audio/mpeg"})
    codes["duplicate bucket"] = http.post("/bucket", json={"id": name}, headers=AUTH)
    codes["not empty"] = http.delete(f"/bucket/{name}", headers=AUTH)
    found = {what: answer.json()["code"] for what, answer in codes.items()}
    assert found == {
        "missing object": "NoSuchKey", "missing bucket": "NoSuchBucket", "invalid key": "InvalidKey",
        "bad token": "InvalidJWT", "no key": "AccessDenied", "duplicate": "KeyAlreadyExists",
        "duplicate bucket": "BucketAlreadyExists", "not empty": "ResourceNotEmpty",
    }
    assert all(isinstance(answer.json()["statusCode"], str) for answer in codes.values())


def test_list_order_is_case_insensitive_and_search_continues_the_prefix(storage):
    bucket = storage.from_(fresh_bucket(storage))
    for key in ["b/alpha.mp3", "B.mp3", "a.mp3", "Cover.mp3"]:
        bucket.upload(key, MP3[:100], AUDIO)
    assert [e["name"] for e in bucket.list()] == ["a.mp3", "b", "B.mp3", "Cover.mp3"]
    assert [e["name"] for e in bucket.list("", {"search": "b/al"})] == ["b"]
    assert [e["name"] for e in bucket.list("", {"search": "b/zz"})] == []
    assert [e["name"] for e in bucket.list("b", {"search": "AL"})] == ["alpha.mp3"]


def test_absent_cache_control_is_stored_as_no_cache(storage, http):
    name = fresh_bucket(storage)
    raw = http.post(f"/object/{name}/raw.mp3", content=MP3, headers={**AUTH, "content-type": "audio/mpeg"})
    assert raw.status_code == 200
    form = http.post(f"/object/{name}/form.mp3", files={"file": ("form.mp3", MP3, "audio/mpeg")}, headers=AUTH)
    assert form.status_code == 200
    for key in ["raw.mp3", "form.mp3"]:
        assert storage.from_(name).info(key)["cache_control"] == "no-cache"
    # The clients send 3600 themselves when the caller says nothing.
    storage.from_(name).upload("client.mp3", MP3, AUDIO)
    assert storage.from_(name).info("client.mp3")["cache_control"] == "max-age=3600"


def test_content_type_field_and_x_metadata_are_honoured(storage, http):
    name = fresh_bucket(storage)
    form = http.post(f"/object/{name}/typed.mp3", data={"contentType": "audio/mpeg"},
                     files={"file": ("typed.mp3", MP3, "application/octet-stream")}, headers=AUTH)
    assert form.status_code == 200
    assert storage.from_(name).info("typed.mp3")["content_type"] == "audio/mpeg"
    metadata = base64.b64encode(json.dumps({"chapter": 7, "voice": "rachel"}).encode()).decode()
    raw = http.post(f"/object/{name}/meta.mp3", content=MP3, headers={**AUTH, "content-type": "audio/mpeg", "x-metadata": metadata})
    assert raw.status_code == 200
    assert storage.from_(name).info("meta.mp3")["metadata"] == {"chapter": 7, "voice": "rachel"}
    bad = http.post(f"/object/{name}/bad.mp3", content=MP3, headers={**AUTH, "content-type": "audio/mpeg", "x-metadata": "not base64 json"})
    assert bad.status_code == 400 and bad.json()["code"] == "InvalidRequest"


def test_folder_placeholders_pass_the_mime_rules(storage, http):
    name = fresh_bucket(storage, allowed_mime_types=["audio/mpeg"])
    placeholder = http.post(f"/object/{name}/new folder/.emptyFolderPlaceholder", content=b"",
                            headers={**AUTH, "content-type": "application/octet-stream"})
    assert placeholder.status_code == 200, placeholder.text
    refused = http.post(f"/object/{name}/new folder/notes.txt", content=b"x", headers={**AUTH, "content-type": "text/plain"})
    assert refused.status_code == 415 and refused.json()["code"] == "InvalidMimeType"
    assert [e["name"] for e in storage.from_(name).list()] == ["new folder"]


def test_signed_downloads_send_expires_and_no_cache_control(storage, http):
    name = fresh_bucket(storage)
    storage.from_(name).upload("a.mp3", MP3, {**AUDIO, "cache-control": "31536000"})
    signed = storage.from_(name).create_signed_url("a.mp3", 120)["signedURL"]
    before = time.time()
    answer = http.get(signed.removeprefix("/storage/v1"))
    assert answer.status_code == 200 and answer.content == MP3
    assert "cache-control" not in answer.headers
    remaining = parsedate_to_datetime(answer.headers["expires"]).timestamp() - before
    assert 100 <= remaining <= 125
    # The object's own cache control is still what a keyed download sends.
    assert http.get(f"/object/{name}/a.mp3", headers=AUTH).headers["cache-control"] == "max-age=31536000"


def test_copy_honours_x_upsert(storage, http):
    name = fresh_bucket(storage)
    storage.from_(name).upload("source.mp3", MP3, AUDIO)
    storage.from_(name).upload("target.mp3", MP3[:300], AUDIO)
    body = {"bucketId": name, "sourceKey": "source.mp3", "destinationKey": "target.mp3"}
    refused = http.post("/object/copy", json=body, headers=AUTH)
    assert refused.status_code == 409 and refused.json()["code"] == "KeyAlreadyExists"
    assert storage.from_(name).download("target.mp3") == MP3[:300]
    replaced = http.post("/object/copy", json=body, headers={**AUTH, "x-upsert": "true"})
    assert replaced.status_code == 200 and replaced.json()["Key"] == f"{name}/target.mp3"
    assert storage.from_(name).download("target.mp3") == MP3


def test_cdn_purge_answers_success(storage, http):
    name = fresh_bucket(storage)
    storage.from_(name).upload("a.mp3", MP3, AUDIO)
    assert http.delete(f"/cdn/{name}/a.mp3", headers=AUTH).status_code == 200
    assert http.delete(f"/cdn/{name}/a.mp3").status_code == 403
