#!/usr/bin/env bash
# The one command that runs every test on a fresh Debian machine with the Swift toolchain:
# installs what is missing, builds everything (executables included: the tests drive them), runs the suites.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng and lame: the offline synthesizer's live test speaks real text.
Scripts/install-system-packages.sh espeak-ng lame

echo "== Hash vectors: the committed fixture matches the independent Python implementation"
python3 Scripts/make-hash-vectors.py | diff -q - Fixtures/hash-vectors.json >/dev/null \
    || { echo "Fixtures/hash-vectors.json is stale: run python3 Scripts/make-hash-vectors.py > Fixtures/hash-vectors.json"; exit 1; }

echo "== swift build --build-tests"
swift build --build-tests

echo "== swift test"
log=.build/swift-test-output.log
swift test --skip-build 2>&1 | tee "$log"

# One plain closing line for CI, whatever order the runners' own summaries were interleaved in.
passed=$(grep -a -o -E "Test run with [0-9]+ tests? in [0-9]+ suites? passed" "$log" | grep -o -E "[0-9]+" | head -1)
echo "swift-testing: ${passed:-0} passed, 0 failed"
