"""Supabase Storage on cluster nodes, driven by the official storage3 client (run by ClusterStorageTests, not
collected by pytest): through nginx in front of every node, and node by node, so that what one node wrote is
read, listed, signed, copied and removed through the others. Every round trip compares bytes exactly.

Environment: VV_BALANCER (nginx's base URL), VV_NODES (the nodes' base URLs, comma-separated), VV_KEY, and
VV_S3_ID / VV_S3_SECRET (the S3 protocol's key pair, for boto3).
Exits 0 when every check held; prints each check as it passes, and the first failure with its reason."""
import io
import os
import sys
import uuid

import boto3
import httpx
from botocore.config import Config
from botocore.exceptions import ClientError
from storage3 import SyncStorageClient
from storage3.exceptions import StorageApiError
from tusclient import client as tus

KEY = os.environ["VV_KEY"]
AUTH = {"apikey": KEY, "Authorization": f"Bearer {KEY}"}
BALANCER = os.environ["VV_BALANCER"]
NODES = os.environ["VV_NODES"].split(",")


def client(base: str) -> SyncStorageClient:
    return SyncStorageClient(f"{base}/storage/v1/", AUTH)


def s3_client(base: str):
    return boto3.client(
        "s3", endpoint_url=f"{base}/storage/v1/s3", aws_access_key_id=os.environ["VV_S3_ID"],
        aws_secret_access_key=os.environ["VV_S3_SECRET"], region_name="local",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def status_of(call) -> str:
    try:
        call()
    except StorageApiError as error:
        return str(error.status)
    return "200"


def main() -> None:
    balanced = client(BALANCER)
    nodes = [client(base) for base in NODES]
    bucket = f"cluster-{uuid.uuid4().hex[:10]}"
    payload = os.urandom(300_000)
    replacement = os.urandom(123_457)

    # A bucket made through the balancer is every node's.
    balanced.create_bucket(bucket, options={"public": False, "file_size_limit": 1_000_000})
    check(all(bucket in [b.id for b in node.list_buckets()] for node in nodes), "a bucket made through nginx is on every node")
    check(status_of(lambda: nodes[-1].create_bucket(bucket)) == "409", "creating it again through another node is 409")

    # Uploaded through the first node, read through every node.
    nodes[0].from_(bucket).upload("book/chapter-1.bin", payload, {"content-type": "application/octet-stream"})
    for index, node in enumerate(nodes):
        check(node.from_(bucket).download("book/chapter-1.bin") == payload, f"node {index} serves the bytes node 0 stored")
    ranged = httpx.get(f"{NODES[-1]}/storage/v1/object/{bucket}/book/chapter-1.bin", headers={**AUTH, "range": "bytes=1000-1999"})
    check(ranged.status_code == 206 and ranged.content == payload[1000:2000], "a range from another node is the same bytes")
    etags = {httpx.head(f"{base}/storage/v1/object/{bucket}/book/chapter-1.bin", headers=AUTH).headers.get("etag") for base in NODES}
    check(len(etags) == 1 and None not in etags, f"every node gives the same ETag: {etags}")
    check(status_of(lambda: nodes[1].from_(bucket).upload("book/chapter-1.bin", b"again")) == "409",
          "a second upload of the key through another node is refused without x-upsert")

    # Replaced through another node; every node then serves the new bytes.
    nodes[1].from_(bucket).update("book/chapter-1.bin", replacement, {"content-type": "application/octet-stream"})
    for index, node in enumerate(nodes):
        check(node.from_(bucket).download("book/chapter-1.bin") == replacement, f"node {index} serves the replacement")

    # Listings agree wherever they are asked.
    for name in ("chapter-2.bin", "chapter-3.bin"):
        balanced.from_(bucket).upload(f"book/{name}", payload[:1000], {"content-type": "application/octet-stream"})
    listed = [sorted(entry["name"] for entry in node.from_(bucket).list("book")) for node in nodes]
    check(all(names == ["chapter-1.bin", "chapter-2.bin", "chapter-3.bin"] for names in listed), f"every node lists the same: {listed}")
    root = [entry["name"] for entry in nodes[2 % len(nodes)].from_(bucket).list()]
    check(root == ["book"], f"the root lists the folder: {root}")

    # A signed URL made by one node is honoured by another.
    signed = nodes[0].from_(bucket).create_signed_url("book/chapter-2.bin", 60)["signedURL"]
    path = signed[signed.index("/storage/v1/"):] if "/storage/v1/" in signed else "/storage/v1" + signed
    fetched = httpx.get(NODES[-1] + path)
    check(fetched.status_code == 200 and fetched.content == payload[:1000], "a URL signed by node 0 is served by another node")

    # Copy and move through different nodes.
    nodes[1].from_(bucket).copy("book/chapter-2.bin", "copies/chapter-2.bin")
    check(nodes[0].from_(bucket).download("copies/chapter-2.bin") == payload[:1000], "a copy made through node 1 is read through node 0")
    nodes[-1].from_(bucket).move("book/chapter-3.bin", "moved/chapter-3.bin")
    check(status_of(lambda: nodes[0].from_(bucket).download("book/chapter-3.bin")) in ("400", "404"), "a moved object is gone from its key")
    check(nodes[0].from_(bucket).download("moved/chapter-3.bin") == payload[:1000], "and is at its new key on every node")

    # A resumable upload (tuspy) begun through one node and finished through another (chunks of 256 KiB, within
    # the bucket's limit).
    chunk = 1 << 18
    data = os.urandom(3 * chunk + 77)
    tus_metadata = {"bucketName": bucket, "objectName": "tus/long.bin", "contentType": "application/octet-stream"}
    first = tus.TusClient(f"{NODES[0]}/storage/v1/upload/resumable", headers=AUTH)
    uploader = first.uploader(file_stream=io.BytesIO(data), chunk_size=chunk, metadata=tus_metadata)
    uploader.upload_chunk()
    uploader.upload_chunk()
    check(uploader.offset == 2 * chunk, f"two chunks through node 0: {uploader.offset}")
    elsewhere = uploader.url.replace(NODES[0], NODES[1])
    tus_headers = {**AUTH, "Tus-Resumable": "1.0.0"}
    head = httpx.head(elsewhere, headers=tus_headers)
    check(head.status_code == 200 and head.headers.get("upload-offset") == str(2 * chunk), f"node 1 knows node 0's offset: {head.headers}")
    stale = httpx.patch(elsewhere.replace(NODES[1], NODES[-1]), content=b"x" * 10,
                        headers={**tus_headers, "Upload-Offset": str(chunk), "Content-Type": "application/offset+octet-stream"})
    check(stale.status_code == 409, f"a PATCH from an old offset through a third node is 409: {stale.status_code}")
    second = tus.TusClient(f"{NODES[1]}/storage/v1/upload/resumable", headers=AUTH)
    second.uploader(file_stream=io.BytesIO(data), chunk_size=chunk, url=elsewhere).upload()
    for index, node in enumerate(nodes):
        check(node.from_(bucket).download("tus/long.bin") == data, f"node {index} serves the object the upload became")
    check(httpx.head(elsewhere, headers=tus_headers).status_code == 404, "the finished upload is gone")
    # And wholly through nginx, whose round robin sends successive PATCHes to different nodes.
    through = os.urandom(3 * chunk + 5)
    balanced_tus = tus.TusClient(f"{BALANCER}/storage/v1/upload/resumable", headers=AUTH)
    balanced_tus.uploader(file_stream=io.BytesIO(through), chunk_size=chunk,
                          metadata={**tus_metadata, "objectName": "tus/balanced.bin"}).upload()
    check(all(node.from_(bucket).download("tus/balanced.bin") == through for node in nodes),
          "a resumable upload through nginx, its chunks on different nodes, is one object on every node")

    # Removed through one node, gone on every node; the bucket empties and goes.
    removed = nodes[0].from_(bucket).remove(["book/chapter-2.bin"])
    check([entry["name"] for entry in removed] == ["book/chapter-2.bin"], f"remove answers what it removed: {removed}")
    for index, node in enumerate(nodes):
        check(status_of(lambda: node.from_(bucket).download("book/chapter-2.bin")) in ("400", "404"), f"node {index} no longer serves it")
    check(nodes[1].from_(bucket).download("copies/chapter-2.bin") == payload[:1000], "the copy keeps the bytes its source shared")
    check(status_of(lambda: nodes[1].delete_bucket(bucket)) in ("400", "409"), "a bucket with objects is not deleted")
    balanced.empty_bucket(bucket)
    check(nodes[2 % len(nodes)].from_(bucket).list("book") == [] and nodes[0].from_(bucket).list("tus") == [],
          "emptied through nginx, empty on every node")
    balanced.delete_bucket(bucket)
    check(all(bucket not in [b.id for b in node.list_buckets()] for node in nodes), "deleted through nginx, gone from every node")
    s3_parts()
    print("all checks held", flush=True)


def s3_parts() -> None:
    """S3 through boto3: a multipart upload whose parts are sent to different nodes and completed through a
    third; single objects written through one node, read and deleted through others."""
    balanced = s3_client(BALANCER)
    nodes = [s3_client(base) for base in NODES]
    bucket = f"s3-{uuid.uuid4().hex[:10]}"
    balanced.create_bucket(Bucket=bucket)
    check(all(bucket in [b["Name"] for b in node.list_buckets()["Buckets"]] for node in nodes), "an S3 bucket is on every node")
    first, second = os.urandom(300_000), os.urandom(1_000)
    upload = nodes[0].create_multipart_upload(Bucket=bucket, Key="parts.bin", ContentType="application/octet-stream")["UploadId"]
    tags = [nodes[1].upload_part(Bucket=bucket, Key="parts.bin", UploadId=upload, PartNumber=1, Body=first)["ETag"],
            nodes[-1].upload_part(Bucket=bucket, Key="parts.bin", UploadId=upload, PartNumber=2, Body=second)["ETag"]]
    listed = [part["PartNumber"] for part in nodes[0].list_parts(Bucket=bucket, Key="parts.bin", UploadId=upload)["Parts"]]
    check(listed == [1, 2], f"node 0 lists the parts sent to nodes 1 and {len(NODES) - 1}: {listed}")
    in_progress = [u["UploadId"] for u in nodes[1].list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    check(in_progress == [upload], f"every node lists the upload in progress: {in_progress}")
    nodes[0].complete_multipart_upload(
        Bucket=bucket, Key="parts.bin", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": tags[0]}, {"PartNumber": 2, "ETag": tags[1]}]})
    for index, node in enumerate(nodes):
        body = node.get_object(Bucket=bucket, Key="parts.bin")["Body"].read()
        check(body == first + second, f"node {index} serves the completed multipart object")
    etags = {node.head_object(Bucket=bucket, Key="parts.bin")["ETag"] for node in nodes}
    check(len(etags) == 1, f"one ETag on every node: {etags}")
    try:
        nodes[1].list_parts(Bucket=bucket, Key="parts.bin", UploadId=upload)
        check(False, "a completed upload is gone")
    except ClientError as error:
        check(error.response["Error"]["Code"] == "NoSuchUpload", "a completed upload is gone from every node")
    # And wholly through nginx: boto3's own multipart transfer, its parts spread by round robin.
    from boto3.s3.transfer import TransferConfig
    big = os.urandom(3 * (5 << 20) + 11)
    balanced.upload_fileobj(io.BytesIO(big), bucket, "transfer.bin",
                            Config=TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20, max_concurrency=3))
    check(all(node.get_object(Bucket=bucket, Key="transfer.bin")["Body"].read() == big for node in nodes),
          "boto3's multipart transfer through nginx is one object on every node")
    nodes[1].delete_object(Bucket=bucket, Key="transfer.bin")
    nodes[1].put_object(Bucket=bucket, Key="one.bin", Body=b"single")
    check(nodes[0].get_object(Bucket=bucket, Key="one.bin", Range="bytes=1-3")["Body"].read() == b"ing", "a put through one node is read through another")
    keys = sorted(o["Key"] for o in nodes[-1].list_objects_v2(Bucket=bucket)["Contents"])
    check(keys == ["one.bin", "parts.bin"], f"every node lists the bucket: {keys}")
    nodes[-1].delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "one.bin"}, {"Key": "parts.bin"}]})
    check(nodes[0].list_objects_v2(Bucket=bucket).get("KeyCount") == 0, "deleted through one node, gone on another")
    balanced.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    main()
