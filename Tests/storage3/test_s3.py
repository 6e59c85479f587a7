"""The S3 protocol at /storage/v1/s3, driven by boto3 (PyPI) with SigV4 against a live voicevault: buckets,
objects with ranges and conditionals, listings with pagination, copies, deletes, multipart uploads (boto3's
own upload_file above its threshold, and by hand), aws-chunked bodies exactly as boto3 streams them, presigned
URLs (one played by Chromium's <audio>), XML errors, and the read-only generated audio bucket."""
import hashlib
import hmac
import io
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from unittest import mock

import boto3
import botocore.httpchecksum
import httpx
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, media_duration
from test_storage3 import MP3

ACCESS = "vv-s3-access-key"
SECRET = "vv-s3-secret-access-key-of-some-length"
MIB = 1 << 20


@pytest.fixture(scope="module")
def s3_server():
    running = Server(VOICEVAULT_S3_ACCESS_KEY_ID=ACCESS, VOICEVAULT_S3_SECRET_ACCESS_KEY=SECRET,
                     VOICEVAULT_MAX_UPLOAD_BYTES=str(64 * MIB))
    yield running
    running.stop()


def client(server, secret=SECRET, access=ACCESS, **config):
    return boto3.client(
        "s3", endpoint_url=f"{server.base}/storage/v1/s3", aws_access_key_id=access, aws_secret_access_key=secret,
        region_name="local", config=Config(signature_version="s3v4", s3={"addressing_style": "path", **config.pop("s3", {})},
                                           retries={"max_attempts": 1}, **config))


@pytest.fixture(scope="module")
def s3(s3_server):
    return client(s3_server)


def fresh(s3) -> str:
    name = f"s3-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def code_of(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def payload(size: int) -> bytes:
    return b"".join(i.to_bytes(4, "big") for i in range(size // 4 + 1))[:size]


def test_buckets(s3):
    name = fresh(s3)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    assert code_of(lambda: s3.head_bucket(Bucket="no-such-bucket-here")) == "404"
    assert code_of(lambda: s3.create_bucket(Bucket=name)) == "BucketAlreadyOwnedByYou"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.put_object(Bucket=name, Key="a.txt", Body=b"x")
    assert code_of(lambda: s3.delete_bucket(Bucket=name)) == "BucketNotEmpty"
    s3.delete_object(Bucket=name, Key="a.txt")
    s3.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_put_get_head_with_ranges_conditionals_and_metadata(s3):
    name = fresh(s3)
    put = s3.put_object(Bucket=name, Key="books/Chapter 1+2.mp3", Body=MP3, ContentType="audio/mpeg",
                        CacheControl="max-age=60", Metadata={"voice": "rachel", "mtime": "1700000000.5"})
    etag = put["ETag"]
    assert etag == '"' + hashlib.sha256(MP3).hexdigest() + '"'
    got = s3.get_object(Bucket=name, Key="books/Chapter 1+2.mp3")
    assert got["Body"].read() == MP3 and got["ContentType"] == "audio/mpeg" and got["ETag"] == etag
    assert got["CacheControl"] == "max-age=60" and got["Metadata"] == {"voice": "rachel", "mtime": "1700000000.5"}
    head = s3.head_object(Bucket=name, Key="books/Chapter 1+2.mp3")
    assert head["ContentLength"] == len(MP3) and head["Metadata"]["voice"] == "rachel"
    ranged = s3.get_object(Bucket=name, Key="books/Chapter 1+2.mp3", Range="bytes=100-199")
    assert ranged["Body"].read() == MP3[100:200] and ranged["ContentRange"] == f"bytes 100-199/{len(MP3)}"
    assert code_of(lambda: s3.get_object(Bucket=name, Key="books/Chapter 1+2.mp3", IfNoneMatch=etag)) == "304"
    assert code_of(lambda: s3.get_object(Bucket=name, Key="books/Chapter 1+2.mp3", IfMatch='"nope"')) == "PreconditionFailed"
    assert code_of(lambda: s3.get_object(Bucket=name, Key="books/Chapter 1+2.mp3", Range=f"bytes={len(MP3) + 5}-")) == "InvalidRange"
    assert code_of(lambda: s3.get_object(Bucket=name, Key="missing.mp3")) == "NoSuchKey"
    assert code_of(lambda: s3.head_object(Bucket=name, Key="missing.mp3")) == "404"
    assert code_of(lambda: s3.get_object(Bucket="no-such-bucket-here", Key="x")) == "NoSuchBucket"
    # Overwrites replace; the REST surface sees the same object.
    s3.put_object(Bucket=name, Key="books/Chapter 1+2.mp3", Body=b"new")
    assert s3.get_object(Bucket=name, Key="books/Chapter 1+2.mp3")["Body"].read() == b"new"


def test_list_objects_v2_prefix_delimiter_pagination_and_url_encoding(s3):
    name = fresh(s3)
    keys = ["a.mp3", "book one/ch 1.mp3", "book one/ch+2.mp3", "book one/x/y.mp3", "bz.mp3", "c/d.mp3"]
    for key in keys:
        s3.put_object(Bucket=name, Key=key, Body=key.encode())
    listed = s3.list_objects_v2(Bucket=name)
    assert [o["Key"] for o in listed["Contents"]] == keys and listed["KeyCount"] == 6 and not listed["IsTruncated"]
    assert listed["Contents"][0]["Size"] == len("a.mp3") and listed["Contents"][0]["ETag"].startswith('"')
    folded = s3.list_objects_v2(Bucket=name, Delimiter="/")
    assert [o["Key"] for o in folded["Contents"]] == ["a.mp3", "bz.mp3"]
    assert [p["Prefix"] for p in folded["CommonPrefixes"]] == ["book one/", "c/"]
    inside = s3.list_objects_v2(Bucket=name, Prefix="book one/", Delimiter="/")
    assert [o["Key"] for o in inside["Contents"]] == ["book one/ch 1.mp3", "book one/ch+2.mp3"]
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and [o["Key"] for p in pages for o in p.get("Contents", [])] == keys
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=name, StartAfter="book one/x/y.mp3")["Contents"]] == ["bz.mp3", "c/d.mp3"]
    v1 = s3.list_objects(Bucket=name, Delimiter="/", MaxKeys=1)
    assert v1["IsTruncated"] and [o["Key"] for o in v1["Contents"]] == ["a.mp3"]
    assert [o["Key"] for o in s3.list_objects(Bucket=name, Marker="bz.mp3")["Contents"]] == ["c/d.mp3"]


def test_copy_delete_and_delete_objects(s3):
    name, other = fresh(s3), fresh(s3)
    s3.put_object(Bucket=name, Key="src.mp3", Body=MP3, ContentType="audio/mpeg", Metadata={"a": "1"})
    s3.copy_object(Bucket=name, Key="same.mp3", CopySource={"Bucket": name, "Key": "src.mp3"})
    copied = s3.get_object(Bucket=name, Key="same.mp3")
    assert copied["Body"].read() == MP3 and copied["Metadata"] == {"a": "1"} and copied["ContentType"] == "audio/mpeg"
    s3.copy_object(Bucket=other, Key="into/other bucket.mp3", CopySource=f"{name}/src.mp3", MetadataDirective="REPLACE",
                   ContentType="audio/x-test", Metadata={"b": "2"})
    replaced = s3.head_object(Bucket=other, Key="into/other bucket.mp3")
    assert replaced["ContentType"] == "audio/x-test" and replaced["Metadata"] == {"b": "2"}
    assert code_of(lambda: s3.copy_object(Bucket=name, Key="x", CopySource=f"{name}/missing.mp3")) == "NoSuchKey"
    s3.delete_object(Bucket=name, Key="same.mp3")
    s3.delete_object(Bucket=name, Key="never-existed.mp3")  # S3 answers 204 for that too
    for index in range(3):
        s3.put_object(Bucket=name, Key=f"batch/{index}.bin", Body=b"x")
    answer = s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": f"batch/{i}.bin"} for i in range(4)]})
    assert sorted(d["Key"] for d in answer["Deleted"]) == [f"batch/{i}.bin" for i in range(4)]
    quiet = s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "src.mp3"}], "Quiet": True})
    assert "Deleted" not in quiet
    assert s3.list_objects_v2(Bucket=name).get("KeyCount") == 0


def test_upload_file_above_the_multipart_threshold_and_download_file(s3, tmp_path):
    name = fresh(s3)
    data = os.urandom(21 * MIB + 17)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=4)
    calls = []
    original = s3._make_api_call
    with mock.patch.object(s3, "_make_api_call", side_effect=lambda op, params: calls.append(op) or original(op, params)):
        s3.upload_file(str(source), name, "big/file.bin", Config=config)
    assert calls.count("UploadPart") == 3 and "CompleteMultipartUpload" in calls
    target = tmp_path / "back.bin"
    s3.download_file(name, "big/file.bin", str(target), Config=config)
    assert target.read_bytes() == data
    assert s3.head_object(Bucket=name, Key="big/file.bin")["ETag"] == '"' + hashlib.sha256(data).hexdigest() + '"'
    assert s3.list_multipart_uploads(Bucket=name).get("Uploads", []) == []


def test_multipart_by_hand_list_parts_abort_and_refusals(s3):
    name = fresh(s3)
    upload = s3.create_multipart_upload(Bucket=name, Key="parts.bin", ContentType="audio/mpeg", Metadata={"k": "v"})["UploadId"]
    first = s3.upload_part(Bucket=name, Key="parts.bin", UploadId=upload, PartNumber=1, Body=b"a" * MIB)["ETag"]
    second = s3.upload_part(Bucket=name, Key="parts.bin", UploadId=upload, PartNumber=2, Body=b"b" * 100)["ETag"]
    parts = s3.list_parts(Bucket=name, Key="parts.bin", UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, first, MIB), (2, second, 100)]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=name)["Uploads"]] == [upload]
    wrong = {"Parts": [{"PartNumber": 1, "ETag": second}, {"PartNumber": 2, "ETag": second}]}
    assert code_of(lambda: s3.complete_multipart_upload(Bucket=name, Key="parts.bin", UploadId=upload, MultipartUpload=wrong)) == "InvalidPart"
    backwards = {"Parts": [{"PartNumber": 2, "ETag": second}, {"PartNumber": 1, "ETag": first}]}
    assert code_of(lambda: s3.complete_multipart_upload(Bucket=name, Key="parts.bin", UploadId=upload, MultipartUpload=backwards)) == "InvalidPartOrder"
    s3.complete_multipart_upload(Bucket=name, Key="parts.bin", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": second}]})
    got = s3.get_object(Bucket=name, Key="parts.bin")
    assert got["Body"].read() == b"a" * MIB + b"b" * 100 and got["ContentType"] == "audio/mpeg" and got["Metadata"] == {"k": "v"}
    assert code_of(lambda: s3.list_parts(Bucket=name, Key="parts.bin", UploadId=upload)) == "NoSuchUpload"

    aborted = s3.create_multipart_upload(Bucket=name, Key="gone.bin")["UploadId"]
    s3.upload_part(Bucket=name, Key="gone.bin", UploadId=aborted, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=name, Key="gone.bin", UploadId=aborted)
    assert code_of(lambda: s3.upload_part(Bucket=name, Key="gone.bin", UploadId=aborted, PartNumber=2, Body=b"y")) == "NoSuchUpload"
    assert code_of(lambda: s3.head_object(Bucket=name, Key="gone.bin")) == "404"
    # An upload id is for its own key.
    other = s3.create_multipart_upload(Bucket=name, Key="mine.bin")["UploadId"]
    assert code_of(lambda: s3.upload_part(Bucket=name, Key="theirs.bin", UploadId=other, PartNumber=1, Body=b"x")) == "NoSuchUpload"


def test_sizes_are_bounded_as_on_the_rest_surface():
    small = Server(VOICEVAULT_S3_ACCESS_KEY_ID=ACCESS, VOICEVAULT_S3_SECRET_ACCESS_KEY=SECRET, VOICEVAULT_MAX_UPLOAD_BYTES=str(3 * MIB))
    try:
        s3 = client(small)
        name = fresh(s3)
        # Refused from the declared length, before the body is read; nothing is stored.
        assert code_of(lambda: s3.put_object(Bucket=name, Key="big.bin", Body=b"x" * (3 * MIB + 1))) == "EntityTooLarge"
        assert code_of(lambda: s3.head_object(Bucket=name, Key="big.bin")) == "404"
        upload = s3.create_multipart_upload(Bucket=name, Key="parts.bin")["UploadId"]
        parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket=name, Key="parts.bin", UploadId=upload, PartNumber=n, Body=b"y" * (2 * MIB))["ETag"]}
                 for n in (1, 2)]
        # The parts fit one by one; the whole does not.
        complete = lambda: s3.complete_multipart_upload(Bucket=name, Key="parts.bin", UploadId=upload, MultipartUpload={"Parts": parts})
        assert code_of(complete) == "EntityTooLarge"
        assert code_of(lambda: s3.head_object(Bucket=name, Key="parts.bin")) == "404"
    finally:
        small.stop()


def test_multipart_uploads_in_progress_are_bounded():
    bounded = Server(VOICEVAULT_S3_ACCESS_KEY_ID=ACCESS, VOICEVAULT_S3_SECRET_ACCESS_KEY=SECRET, VOICEVAULT_RESUMABLE_MAX_UPLOADS="2")
    try:
        s3 = client(bounded)
        name = fresh(s3)
        first = s3.create_multipart_upload(Bucket=name, Key="a.bin")["UploadId"]
        s3.create_multipart_upload(Bucket=name, Key="b.bin")
        assert code_of(lambda: s3.create_multipart_upload(Bucket=name, Key="c.bin")) == "SlowDown"
        s3.abort_multipart_upload(Bucket=name, Key="a.bin", UploadId=first)
        s3.create_multipart_upload(Bucket=name, Key="c.bin")
    finally:
        bounded.stop()


def test_aws_chunked_bodies_as_boto3_streams_them_over_tls(s3_server):
    """boto3 sends aws-chunked with a CRC32 trailer only over HTTPS; the client is told this URL is https so it
    builds exactly that body, which then goes over the plain socket."""
    real_urlparse = botocore.httpchecksum.urlparse
    as_https = lambda url, *a, **k: real_urlparse(url, *a, **k)._replace(scheme="https")
    chunked = client(s3_server, s3={"payload_signing_enabled": False})
    name = fresh(chunked)
    seen = []
    chunked.meta.events.register("before-send.s3.PutObject", lambda request, **_: seen.append(dict(request.headers)))
    with mock.patch.object(botocore.httpchecksum, "urlparse", as_https):
        data = os.urandom(300_000)
        chunked.put_object(Bucket=name, Key="chunked.bin", Body=io.BytesIO(data))
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in seen[0].items()}
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers["content-encoding"] == "aws-chunked" and headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert chunked.get_object(Bucket=name, Key="chunked.bin")["Body"].read() == data


def signing_key(day: str) -> bytes:
    key = ("AWS4" + SECRET).encode()
    for part in [day, "local", "s3", "aws4_request"]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sign(server, method: str, path: str, headers: dict, payload_hash: str, declare_payload: bool = True,
         canonical_query: str = "") -> dict:
    """An Authorization header by an independent SigV4 implementation (botocore always signs the real payload
    hash, so it cannot send a request whose declared hash is a lie). With `declare_payload=False` the payload
    hash is signed but not sent as x-amz-content-sha256, as clients that sign the plain forms do."""
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    scope = f"{amz_date[:8]}/local/s3/aws4_request"
    signed = {**{k.lower(): v for k, v in headers.items()}, "host": f"127.0.0.1:{server.port}", "x-amz-date": amz_date}
    if declare_payload:
        signed["x-amz-content-sha256"] = payload_hash
    names = sorted(signed)
    canonical = "\n".join([method, path, canonical_query, "".join(f"{n}:{signed[n]}\n" for n in names), ";".join(names), payload_hash])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(signing_key(amz_date[:8]), to_sign.encode(), hashlib.sha256).hexdigest()
    del signed["host"]
    return {**signed, "authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"}


def signed_chunked_request(server, bucket, key, data, chunk=65536, corrupt=False):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD as the Java and Go SDKs send it (botocore cannot: it always signs a
    plain payload hash), signed by an independent implementation here: the header signature (the seed), then
    each chunk's signature chained from it."""
    path = f"/storage/v1/s3/{bucket}/{urllib.parse.quote(key)}"
    chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    day = amz_date[:8]
    scope = f"{day}/local/s3/aws4_request"
    framed_length = sum(len(f"{len(c):x};chunk-signature={'0' * 64}\r\n") + len(c) + 2 for c in chunks)
    headers = {"content-encoding": "aws-chunked", "content-length": str(framed_length), "host": f"127.0.0.1:{server.port}",
               "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-amz-date": amz_date,
               "x-amz-decoded-content-length": str(len(data))}
    names = sorted(headers)
    canonical = "\n".join(["PUT", path, "", "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names),
                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key_bytes = signing_key(day)
    seed = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={ACCESS}/{scope}, SignedHeaders={';'.join(names)}, Signature={seed}"
    body, previous = b"", seed
    for index, c in enumerate(chunks):
        signed = c if not (corrupt and index == 1) else c[:-1] + b"!"
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, hashlib.sha256(b"").hexdigest(), hashlib.sha256(signed).hexdigest()])
        previous = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        body += f"{len(c):x};chunk-signature={previous}\r\n".encode() + c + b"\r\n"
    del headers["host"]
    return httpx.put(f"{server.base}{path}", content=body, headers=headers)


def test_signed_aws_chunked_bodies_check_every_chunk(s3_server, s3):
    name = fresh(s3)
    data = os.urandom(200_000)
    answer = signed_chunked_request(s3_server, name, "signed.bin", data)
    assert answer.status_code == 200, answer.text
    assert s3.get_object(Bucket=name, Key="signed.bin")["Body"].read() == data
    forged = signed_chunked_request(s3_server, name, "forged.bin", data, corrupt=True)
    assert forged.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in forged.text
    assert code_of(lambda: s3.head_object(Bucket=name, Key="forged.bin")) == "404"


def test_presigned_urls_and_chromium_plays_one(s3_server, s3):
    name = fresh(s3)
    s3.put_object(Bucket=name, Key="listen/chapter.mp3", Body=MP3, ContentType="audio/mpeg")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "listen/chapter.mp3"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url
    fetched = httpx.get(url)
    assert fetched.status_code == 200 and fetched.content == MP3
    assert httpx.get(url.replace("listen/chapter.mp3", "listen/other.mp3")).status_code == 403
    expired = client(s3_server).generate_presigned_url("get_object", Params={"Bucket": name, "Key": "listen/chapter.mp3"}, ExpiresIn=1)
    deadline = time.time() + 30
    while httpx.get(expired).status_code != 403:
        assert time.time() < deadline
        time.sleep(0.2)
    assert "<Code>AccessDenied</Code>" in httpx.get(expired).text

    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content(f'<audio controls preload="auto" src="{url}"></audio>')
            assert media_duration(page.locator("audio"), page) > 0.5
        finally:
            browser.close()


def test_refusals_are_s3_xml(s3_server, s3, server):
    assert code_of(lambda: client(s3_server, secret="wrong-secret-of-length").list_buckets()) == "SignatureDoesNotMatch"
    assert code_of(lambda: client(s3_server, access="unknown-key").list_buckets()) == "InvalidAccessKeyId"
    anonymous = httpx.get(f"{s3_server.base}/storage/v1/s3/")
    assert anonymous.status_code == 403 and anonymous.headers["content-type"] == "application/xml"
    assert "<Code>AccessDenied</Code>" in anonymous.text
    # A server without the key pair has the S3 surface off.
    off = httpx.get(f"{server.base}/storage/v1/s3/")
    assert off.status_code == 403 and "VOICEVAULT_S3_ACCESS_KEY_ID" in off.text
    # A body whose signed hash is wrong is refused and stores nothing.
    name = fresh(s3)
    path = f"/storage/v1/s3/{name}/lie.bin"
    lie = httpx.put(s3_server.base + path, content=b"actual bytes",
                    headers=sign(s3_server, "PUT", path, {}, hashlib.sha256(b"other bytes").hexdigest()))
    assert lie.status_code == 400 and "XAmzContentSHA256Mismatch" in lie.text
    assert code_of(lambda: s3.head_object(Bucket=name, Key="lie.bin")) == "404"
    assert code_of(lambda: s3.put_object(Bucket=name, Key="c.bin", Body=b"abc", ChecksumCRC32="AAAAAA==")) == "BadDigest"


def test_headers_the_signature_does_not_cover_are_refused(s3_server, s3):
    """A presigned PutObject URL signs only `host`. Sent with an added x-amz-copy-source it must not become a
    CopyObject of a private object, nor store unsigned x-amz-meta-* (AWS: 403, headers not signed)."""
    private = fresh(s3)
    s3.put_object(Bucket=private, Key="secret.txt", Body=b"private bytes")
    mine = fresh(s3)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": mine, "Key": "upload.txt"}, ExpiresIn=300)
    copied = httpx.put(url, content=b"", headers={"x-amz-copy-source": f"{private}/secret.txt"})
    assert copied.status_code == 403 and "<Code>AccessDenied</Code>" in copied.text, copied.text
    assert "x-amz-copy-source" in copied.text
    assert code_of(lambda: s3.head_object(Bucket=mine, Key="upload.txt")) == "404"
    tagged = httpx.put(url, content=b"mine", headers={"x-amz-meta-owner": "mallory"})
    assert tagged.status_code == 403
    assert code_of(lambda: s3.head_object(Bucket=mine, Key="upload.txt")) == "404"
    assert httpx.put(url, content=b"mine").status_code == 200
    assert s3.head_object(Bucket=mine, Key="upload.txt")["Metadata"] == {}
    # A header signature that does not name an x-amz-meta-* field it arrives with: the same refusal.
    path = f"/storage/v1/s3/{mine}/header.txt"
    headers = sign(s3_server, "PUT", path, {}, hashlib.sha256(b"mine").hexdigest())
    refused = httpx.put(s3_server.base + path, content=b"mine", headers={**headers, "x-amz-meta-owner": "mallory"})
    assert refused.status_code == 403 and "x-amz-meta-owner" in refused.text
    assert httpx.put(s3_server.base + path, content=b"mine", headers=headers).status_code == 200


def test_a_signature_over_no_body_cannot_carry_one(s3_server, s3):
    """Without x-amz-content-sha256, a signature made over the empty body's hash holds the body to be empty: a
    captured body-less request replayed with a body within the clock window stores nothing."""
    name = fresh(s3)
    s3.put_object(Bucket=name, Key="kept.txt", Body=b"kept")
    # PutObject, and DeleteObjects (`?delete` signs as the canonical query `delete=`).
    for method, path, query, body in [("PUT", f"/storage/v1/s3/{name}/replayed.bin", "", b"replayed bytes"),
                                      ("POST", f"/storage/v1/s3/{name}", "delete=", b"<Delete><Object><Key>kept.txt</Key></Object></Delete>")]:
        headers = sign(s3_server, method, path, {}, hashlib.sha256(b"").hexdigest(), declare_payload=False, canonical_query=query)
        answer = httpx.request(method, s3_server.base + path + ("?delete" if query else ""), content=body, headers=headers)
        assert answer.status_code == 400 and "XAmzContentSHA256Mismatch" in answer.text, answer.text
    assert code_of(lambda: s3.head_object(Bucket=name, Key="replayed.bin")) == "404"
    assert s3.get_object(Bucket=name, Key="kept.txt")["Body"].read() == b"kept"
    # The same signature with the empty body it was made for is honoured.
    path = f"/storage/v1/s3/{name}/empty.bin"
    headers = sign(s3_server, "PUT", path, {}, hashlib.sha256(b"").hexdigest(), declare_payload=False)
    assert httpx.put(s3_server.base + path, content=b"", headers=headers).status_code == 200
    assert s3.head_object(Bucket=name, Key="empty.bin")["ContentLength"] == 0


def test_the_generated_audio_bucket_is_read_only(s3):
    assert "audio" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.list_objects_v2(Bucket="audio", Delimiter="/")
    for call in [lambda: s3.put_object(Bucket="audio", Key="book/x.mp3", Body=b"x"),
                 lambda: s3.delete_object(Bucket="audio", Key="book/x.mp3"),
                 lambda: s3.delete_bucket(Bucket="audio"),
                 lambda: s3.create_multipart_upload(Bucket="audio", Key="book/x.mp3")]:
        assert code_of(call) == "AccessDenied"


def test_rclone_copies_a_folder_up_and_back(s3_server, s3, tmp_path):
    assert shutil.which("rclone"), "Debian's rclone is not installed (Scripts/test.sh installs it)"
    name = fresh(s3)
    up = tmp_path / "up"
    (up / "nested dir").mkdir(parents=True)
    files = {"a.mp3": MP3, "nested dir/b c+d.bin": os.urandom(3 * MIB + 5), "nested dir/empty.txt": b"", "z.txt": b"zz"}
    for path, data in files.items():
        (up / path).write_bytes(data)
    # AWS_CA_BUNDLE (set on some machines) makes rclone's SDK refuse its own HTTP transport; there is no TLS here.
    environment = {**{k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}, "RCLONE_CONFIG_VV_TYPE": "s3", "RCLONE_CONFIG_VV_PROVIDER": "Other",
                   "RCLONE_CONFIG_VV_ACCESS_KEY_ID": ACCESS, "RCLONE_CONFIG_VV_SECRET_ACCESS_KEY": SECRET,
                   "RCLONE_CONFIG_VV_ENDPOINT": f"{s3_server.base}/storage/v1/s3", "RCLONE_CONFIG_VV_FORCE_PATH_STYLE": "true",
                   "RCLONE_CONFIG_VV_REGION": "local", "RCLONE_CONFIG": os.devnull}
    def rclone(*arguments):
        done = subprocess.run(["rclone", *arguments, "--s3-upload-cutoff", "1M", "--s3-chunk-size", "5M", "--retries", "1"],
                              env=environment, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout
    rclone("copy", str(up), f"vv:{name}/folder")
    listed = s3.list_objects_v2(Bucket=name, Prefix="folder/")
    assert sorted(o["Key"] for o in listed["Contents"]) == sorted(f"folder/{p}" for p in files)
    down = tmp_path / "down"
    rclone("copy", f"vv:{name}/folder", str(down))
    for path, data in files.items():
        assert (down / path).read_bytes() == data, path
    rclone("check", str(up), f"vv:{name}/folder")
