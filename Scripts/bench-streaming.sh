#!/usr/bin/env bash
# Streamed generation benchmark (issue 12): time to first byte and total, for a miss and a hit through the
# ElevenLabs-compatible /stream endpoint, beside the fake upstream's own, which streams its first bytes after a
# tenth of LATENCY_MS and the rest over the remainder.
# Usage: Scripts/bench-streaming.sh [rounds=7] [latency_ms=2000]      (release build; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
LATENCY_MS=${2:-2000}
Scripts/install-system-packages.sh curl python3 >/dev/null
swift build -c release --product voicevault >/dev/null
swift build -c release --product fake-elevenlabs >/dev/null
BIN=.build/release
WORK=$(mktemp -d /tmp/vv-bench-stream.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

FAKE_PORT=18931; VV_PORT=18932
"$BIN/fake-elevenlabs" --port $FAKE_PORT --latency-ms "$LATENCY_MS" > "$WORK/fake.log" 2>&1 & PIDS+=($!)
ELEVENLABS_API_KEY=fake-key ELEVENLABS_BASE_URL=http://127.0.0.1:$FAKE_PORT VOICEVAULT_API_KEYS=bench \
VOICEVAULT_LOG_LEVEL=warning \
    "$BIN/voicevault" serve --port $VV_PORT --data-dir "$WORK/data" > "$WORK/vv.log" 2>&1 & PIDS+=($!)
for port in $FAKE_PORT $VV_PORT; do
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

# One timed POST: "<first body byte ms> <total ms>". The first byte of the body, not of the response: the fake
# sends its headers at once and its audio later, VoiceVault its headers with the first audio.
timed() { # url key-header body
  python3 - "$1" "$2" "$3" <<'PY'
import http.client, sys, time, urllib.parse
url, header, body = sys.argv[1:4]
name, value = header.split(": ", 1)
parts = urllib.parse.urlsplit(url)
connection = http.client.HTTPConnection(parts.hostname, parts.port)
start = time.perf_counter()
connection.request("POST", parts.path, body=body, headers={name: value, "content-type": "application/json"})
response = connection.getresponse()
response.read(1)
first = time.perf_counter() - start
response.read()
total = time.perf_counter() - start
assert response.status == 200, response.status
print(f"{first * 1000:.1f} {total * 1000:.1f}")
PY
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

TEXT_BASE="A chapter streamed while it is spoken, long enough to come in several pieces of audio."
: > "$WORK/upstream"; : > "$WORK/miss"; : > "$WORK/hit"
for round in $(seq "$ROUNDS"); do
  body="{\"text\":\"$TEXT_BASE $round $RANDOM $TEXT_BASE\"}"
  timed "http://127.0.0.1:$FAKE_PORT/v1/text-to-speech/v/stream/with-timestamps" "xi-api-key: fake-key" "$body" >> "$WORK/upstream"
  body="{\"text\":\"$TEXT_BASE $round $RANDOM $TEXT_BASE\"}"
  timed "http://127.0.0.1:$VV_PORT/v1/text-to-speech/v/stream" "xi-api-key: bench" "$body" >> "$WORK/miss"
  timed "http://127.0.0.1:$VV_PORT/v1/text-to-speech/v/stream" "xi-api-key: bench" "$body" >> "$WORK/hit"
done
echo "streamed generation, ${ROUNDS} rounds, upstream latency ${LATENCY_MS} ms (first bytes at $((LATENCY_MS / 10)) ms); medians in ms"
printf "%-34s %12s %10s\n" "" "first byte" "total"
for row in "upstream's own stream:upstream" "VoiceVault /stream, miss:miss" "VoiceVault /stream, hit:hit"; do
  name=${row%%:*}; file=$WORK/${row##*:}
  printf "%-34s %12s %10s\n" "$name" "$(cut -d' ' -f1 "$file" | median)" "$(cut -d' ' -f2 "$file" | median)"
done
