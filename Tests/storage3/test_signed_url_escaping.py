"""Issue 10: supabase-js signed URLs for keys with a space failed (400 InvalidKey). storage-js applies
JavaScript's `encodeURI` to base + signedURL, so the server must return the key unescaped, as upstream does.
This runs the very `encodeURI` storage-js uses, in node, on what the server answers."""
import shutil
import subprocess

import httpx

from conftest import AUTH
from test_storage3 import AUDIO, MP3, fresh_bucket


def in_node(expression: str, url: str) -> str:
    """`expression` of `url` (as `u`), evaluated by node, as storage-js would."""
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is required (Scripts/test.sh installs Debian's nodejs)"
    return subprocess.run([node, "-e", f"const u = process.argv[1]; process.stdout.write({expression})", url],
                          check=True, capture_output=True, text=True).stdout


def encode_uri(url: str) -> str:
    return in_node("encodeURI(u)", url)


def test_signed_urls_survive_storage_js_encode_uri(storage, http):
    name = fresh_bucket(storage)
    bucket = storage.from_(name)
    keys = ["Chapter 1.mp3", "a+b.mp3", "x&y.mp3", "it's.mp3", "(draft).mp3", "wow!.mp3", "dir with space/a b+c&d'(e)!.mp3"]
    for key in keys:
        bucket.upload(key, MP3, AUDIO)
    # One by one, as createSignedUrl does, and in a batch, as createSignedUrls does.
    singles = []
    for key in keys:
        answer = http.post(f"/object/sign/{name}/{key.replace(' ', '%20')}", json={"expiresIn": 600}, headers=AUTH)
        assert answer.status_code == 200, answer.text
        singles.append(answer.json()["signedURL"])
    batch = http.post(f"/object/sign/{name}", json={"expiresIn": 600, "paths": keys}, headers=AUTH).json()
    for signed in singles + [entry["signedURL"] for entry in batch]:
        assert "%20" not in signed, f"the key is escaped in {signed}"
    for signed in singles + [entry["signedURL"] for entry in batch]:
        url = encode_uri(f"{str(http.base_url).rstrip('/')}{signed}")
        # httpx must send the URL exactly as encodeURI made it.
        response = httpx.get(httpx.URL(url))
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:200]}"
        assert response.content == MP3


def new_url(url: str) -> str:
    """What storage-js's createSignedUploadUrl makes of base + url."""
    return in_node("new URL(u).toString()", url)


def test_signed_upload_urls_survive_storage_js_new_url(storage, http):
    name = fresh_bucket(storage)
    for key in ["Chapter 1.mp3", "a+b.mp3", "x&y.mp3", "it's (draft)!.mp3", "dir with space/a b+c.mp3"]:
        answer = http.post(f"/object/upload/sign/{name}/{key.replace(' ', '%20')}", headers=AUTH)
        assert answer.status_code == 200, answer.text
        signed = answer.json()["url"]
        url = new_url(f"{str(http.base_url).rstrip('/')}{signed}")
        # storage-js uploads to that URL without a key, as a multipart form.
        uploaded = httpx.put(httpx.URL(url), files={"": (key.split("/")[-1], MP3, "audio/mpeg")})
        assert uploaded.status_code == 200, f"{url}: {uploaded.status_code} {uploaded.text[:200]}"
        assert storage.from_(name).download(key) == MP3
