#!/usr/bin/env python3
"""Memory of clients that stop reading (issue 25): starts a voicevault, uploads eight objects to a public
Storage bucket, then in three waves opens 100 connections that each ask for one and never read (receive buffer
16 KiB), and prints the server's resident memory during each wave and after its connections close.

Usage: python3 Scripts/stalled-readers.py BIN_DIR [object-bytes=15000000]
Settings for the server go in the environment with a VV_ prefix, e.g. VV_VOICEVAULT_DOWNLOAD_CACHE_MIB=0.
Needs httpx (the test suite's virtual environment has it: .build/venv-storage3/bin/python).
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

import httpx

binary = os.path.join(sys.argv[1], "voicevault")
size = int(sys.argv[2]) if len(sys.argv) > 2 else 15_000_000
directory = tempfile.mkdtemp(prefix="vv-stalled-")
log = open(os.path.join(directory, "server.log"), "w+")
environment = {k: v for k, v in os.environ.items() if not k.startswith("VOICEVAULT_")}
environment.update({"VOICEVAULT_API_KEYS": "k", "VOICEVAULT_MAX_UPLOAD_BYTES": str(64 << 20)})
environment.update({k[3:]: v for k, v in os.environ.items() if k.startswith("VV_")})
server = subprocess.Popen([binary, "serve", "--port", "0", "--data-dir", os.path.join(directory, "data")],
                          env=environment, stdout=subprocess.DEVNULL, stderr=log)
try:
    port = None
    for _ in range(600):
        log.flush()
        found = re.search(r"port=(\d+).*listening", open(log.name).read())
        if found:
            port = int(found.group(1))
            break
        time.sleep(0.05)
    assert port, open(log.name).read()
    base = f"http://127.0.0.1:{port}"
    key = {"authorization": "Bearer k"}
    assert httpx.post(base + "/storage/v1/bucket", headers=key, json={"id": "open", "public": True}).status_code == 200
    for index in range(8):
        answer = httpx.post(f"{base}/storage/v1/object/open/{index}.bin", content=bytes([48 + index]) * size, timeout=120,
                            headers={**key, "content-type": "application/octet-stream"})
        assert answer.status_code == 200, answer.text

    def resident_mib() -> int:
        for line in open(f"/proc/{server.pid}/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
        return -1

    def descriptors() -> int:
        return len(os.listdir(f"/proc/{server.pid}/fd"))

    print(f"before: {resident_mib()} MiB")
    idle = descriptors()
    for wave in range(3):
        connections = []
        for index in range(100):
            connection = socket.socket()
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 10)
            connection.connect(("127.0.0.1", port))
            connection.sendall(f"GET /storage/v1/object/public/open/{index % 8}.bin HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            connection.recv(4096)
            connections.append(connection)
        time.sleep(1)  # a measurement point, not a condition: the server has had a second to fill what it will
        during = resident_mib()
        for connection in connections:
            connection.close()
        deadline = time.time() + 30
        while descriptors() > idle + 4 and time.time() < deadline:
            time.sleep(0.05)
        print(f"wave {wave}: during {during} MiB, after {resident_mib()} MiB")
finally:
    server.terminate()
