#!/usr/bin/env bash
# Voice API benchmark (issue 3), side by side with nginx as a caching proxy in front of the same fake upstream:
#  1. cache-hit requests/s and latency under wrk, 64 connections;
#  2. wall time for 200 concurrent identical misses against an upstream that takes LATENCY_MS, and the number
#     of upstream calls each made.
# Usage: [PARAGRAPH=1] Scripts/bench-voice.sh [seconds=10] [latency_ms=1000]      (release build; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
LATENCY_MS=${2:-1000}
Scripts/install-system-packages.sh wrk nginx curl >/dev/null
swift build -c release --product voicevault >/dev/null
swift build -c release --product fake-elevenlabs >/dev/null
BIN=.build/release
WORK=$(mktemp -d /tmp/vv-bench.XXXXXX)
chmod 755 "$WORK"   # nginx workers (www-data) must reach the cache directory
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

FAKE_PORT=18901; VV_PORT=18902; NGINX_PORT=18903
"$BIN/fake-elevenlabs" --port $FAKE_PORT --latency-ms "$LATENCY_MS" > "$WORK/fake.log" 2>&1 & PIDS+=($!)
ELEVENLABS_API_KEY=fake-key ELEVENLABS_BASE_URL=http://127.0.0.1:$FAKE_PORT VOICEVAULT_API_KEYS=bench \
VOICEVAULT_UPSTREAM_CONCURRENCY=5 VOICEVAULT_LOG_LEVEL=warning \
    "$BIN/voicevault" serve --port $VV_PORT --data-dir "$WORK/data" > "$WORK/vv.log" 2>&1 & PIDS+=($!)

mkdir -p "$WORK/nginx/cache"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  proxy_cache_path $WORK/nginx/cache levels=1:2 keys_zone=tts:10m max_size=1g inactive=1d;
  client_body_buffer_size 1m;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://127.0.0.1:$FAKE_PORT;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache tts;
      proxy_cache_methods POST;
      proxy_cache_key "\$request_uri|\$request_body";
      proxy_cache_valid 200 1d;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 60s;
      proxy_cache_lock_age 60s;
      proxy_read_timeout 120s;
      add_header X-Cache \$upstream_cache_status;
    }
  }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" & sleep 0.5
PIDS+=($(cat "$WORK/nginx/nginx.pid"))
for port in $FAKE_PORT $VV_PORT $NGINX_PORT; do
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

# BENCH_TEXT: the hit's text; PARAGRAPH=1 uses a paragraph of about 1,100 characters, what a reading app sends.
TEXT=${BENCH_TEXT:-The hit path: this chapter is already in the vault.}
if [ "${PARAGRAPH:-0}" = 1 ]; then
    TEXT=$(for i in $(seq 1 20); do printf 'Sentence %02d of a chapter read aloud, already in the vault. ' "$i"; done)
fi
VV_BODY="{\"text\":\"$TEXT\",\"voiceId\":\"21m00Tcm4TlvDq8ikWAM\",\"bookId\":\"bench\"}"
NG_BODY="{\"text\":\"$TEXT\",\"model_id\":\"eleven_multilingual_v2\"}"
NG_URL="http://127.0.0.1:$NGINX_PORT/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM?output_format=mp3_44100_128"
VV_URL="http://127.0.0.1:$VV_PORT/api/voice"

# Warm both caches.
curl -s -o /dev/null -H 'Authorization: Bearer bench' -d "$VV_BODY" "$VV_URL"
curl -s -o /dev/null -H 'xi-api-key: fake-key' -H 'content-type: application/json' -d "$NG_BODY" "$NG_URL"
curl -s -o /dev/null -H 'xi-api-key: fake-key' -H 'content-type: application/json' -d "$NG_BODY" "$NG_URL"

wrk_script() {  # $1 headers (lua table body), $2 body
  cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$2]]
$1
wrk.headers["Content-Type"] = "application/json"
LUA
}

echo "== cache hits: wrk -t2 -c64 -d${DURATION}s"
wrk_script 'wrk.headers["Authorization"] = "Bearer bench"' "$VV_BODY"
echo "-- voicevault POST /api/voice (JSON answer with the URL)"
wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/post.lua" "$VV_URL" | grep -E "Requests/sec|Latency |50%|99%|Non-2xx"
wrk_script 'wrk.headers["xi-api-key"] = "fake-key"' "$NG_BODY"
echo "-- nginx proxy_cache POST (the MP3 body, $(curl -s -o /dev/null -w '%{size_download}' -H 'xi-api-key: fake-key' -d "$NG_BODY" "$NG_URL") bytes)"
wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/post.lua" "$NG_URL" | grep -E "Requests/sec|Latency |50%|99%|Non-2xx"

calls() { curl -s "http://127.0.0.1:$FAKE_PORT/_fake/calls" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
misses() {  # $1 name, $2 url, $3 header, $4 body
  local before after start end
  before=$(calls)
  start=$(date +%s.%N)
  seq 200 | xargs -P 200 -I{} curl -s -o /dev/null -w "%{http_code}\n" -H "$3" -H 'content-type: application/json' -d "$4" "$2" > "$WORK/codes"
  end=$(date +%s.%N)
  after=$(calls)
  printf -- "-- %s: 200 concurrent identical misses in %.2f s (upstream latency %d ms), upstream calls %d, statuses: %s\n" \
    "$1" "$(echo "$end - $start" | bc)" "$LATENCY_MS" $((after - before)) "$(sort "$WORK/codes" | uniq -c | tr -s ' ' | tr '\n' ' ')"
}
echo "== 200 concurrent identical misses"
misses voicevault "$VV_URL" 'Authorization: Bearer bench' '{"text":"A brand new chapter nobody asked for before.","voiceId":"21m00Tcm4TlvDq8ikWAM","bookId":"bench"}'
misses nginx "$NG_URL" 'xi-api-key: fake-key' '{"text":"A brand new chapter nobody asked for before.","model_id":"eleven_multilingual_v2"}'
