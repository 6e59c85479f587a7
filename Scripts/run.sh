#!/usr/bin/env bash
# Runs VoiceVault on the embedded default (LMDB + files under ./data, no outside services) on a fresh Debian
# machine with the Swift toolchain. Extra arguments go to `voicevault serve` (e.g. --port 9000).
#
# Without ELEVENLABS_API_KEY it speaks offline with espeak-ng + lame (installed here); with it, it uses ElevenLabs.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-system-packages.sh espeak-ng lame
swift build -c release --product voicevault

# The address the hint names: the --host and --port given here (either spelling), else what serve defaults to.
host=${VOICEVAULT_HOST:-127.0.0.1}
port=${VOICEVAULT_PORT:-8080}
previous=""
for argument in "$@"; do
    case "$previous" in --port) port=$argument ;; --host) host=$argument ;; esac
    case "$argument" in --port=*) port=${argument#--port=} ;; --host=*) host=${argument#--host=} ;; esac
    previous=$argument
done
case "$host" in 0.0.0.0|::|"[::]") host=127.0.0.1 ;; esac

if [ -z "${VOICEVAULT_API_KEYS:-}" ]; then
    export VOICEVAULT_API_KEYS=dev-key
    echo "VOICEVAULT_API_KEYS is not set: accepting the development key 'dev-key' (loopback only by default)." >&2
    echo "Try: curl -H 'Authorization: Bearer dev-key' -d '{\"text\":\"Hello there\",\"voiceId\":\"21m00Tcm4TlvDq8ikWAM\",\"bookId\":\"demo\"}' http://$host:$port/api/voice" >&2
fi
exec .build/release/voicevault serve --data-dir "${VOICEVAULT_DATA_DIR:-./data}" "$@"
