#!/usr/bin/env bash
# Runs VoiceVault on the embedded default (LMDB + files under ./data, no outside services) on a fresh Debian
# machine with the Swift toolchain. Extra arguments go to `voicevault serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-system-packages.sh
swift build -c release --product voicevault
exec .build/release/voicevault serve --data-dir "${VOICEVAULT_DATA_DIR:-./data}" "$@"
