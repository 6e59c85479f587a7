"""Issue 10: supabase-js signed URLs for keys with a space failed (400 InvalidKey). storage-js applies
JavaScript's `encodeURI` to base + signedURL, so the server must return the key unescaped, as upstream does.
This runs the very `encodeURI` storage-js uses, in node, on what the server answers."""
import shutil
import subprocess

import httpx

from conftest import AUTH
from test_storage3 import AUDIO, MP3, fresh_bucket


def encode_uri(url: str) -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is required (Scripts/test.sh installs Debian's nodejs)"
    return subprocess.run([node, "-e", "process.stdout.write(encodeURI(process.argv[1]))", url],
                          check=True, capture_output=True, text=True).stdout


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
