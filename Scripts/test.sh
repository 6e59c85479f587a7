#!/usr/bin/env bash
# The one command that runs every test on a fresh Debian machine with the Swift toolchain:
# installs what is missing, builds everything (executables included: the tests drive them), runs the suites.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-system-packages.sh

echo "== Hash vectors: the committed fixture matches the independent Python implementation"
python3 Scripts/make-hash-vectors.py | diff -q - Fixtures/hash-vectors.json >/dev/null \
    || { echo "Fixtures/hash-vectors.json is stale: run python3 Scripts/make-hash-vectors.py > Fixtures/hash-vectors.json"; exit 1; }

echo "== swift build --build-tests"
swift build --build-tests

echo "== swift test"
swift test --skip-build
