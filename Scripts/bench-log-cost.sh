#!/usr/bin/env bash
# What the request log costs (issue 13): server CPU per request (user + system from /proc) at
# VOICEVAULT_LOG_LEVEL=info against warning, for 8 KiB fast-path ranges and cache hits, in alternating rounds.
# Usage: Scripts/bench-log-cost.sh [rounds=3]      (release build; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
Scripts/install-system-packages.sh wrk curl python3 >/dev/null
swift build -c release --product voicevault >/dev/null 2>&1
swift build -c release --product fake-elevenlabs >/dev/null 2>&1
BIN=.build/release
W=$(mktemp -d /tmp/vv-logcost.XXXXXX)
$BIN/fake-elevenlabs --port 18991 --api-key fake > /dev/null 2>&1 & FAKE=$!
trap 'kill $FAKE 2>/dev/null; rm -rf $W' EXIT
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18991/ && break; sleep 0.1; done
BODY='{"text":"The hit path: this chapter is already in the vault.","voiceId":"21m00Tcm4TlvDq8ikWAM","bookId":"bench"}'
cat > $W/post.lua <<LUA
wrk.method = "POST"
wrk.body = [[$BODY]]
wrk.headers["Authorization"] = "Bearer bench"
wrk.headers["Content-Type"] = "application/json"
LUA
measure() { # level round
  ELEVENLABS_API_KEY=fake ELEVENLABS_BASE_URL=http://127.0.0.1:18991 VOICEVAULT_API_KEYS=bench VOICEVAULT_LOG_LEVEL=$1 \
    $BIN/voicevault serve --port 18992 --data-dir $W/data > $W/vv-$1.log 2>&1 & local PID=$!
  for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18992/healthz && break; sleep 0.1; done
  local P
  P=$(curl -s -H 'Authorization: Bearer bench' -d "$BODY" http://127.0.0.1:18992/api/voice | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
  local SIZE; SIZE=$(stat -c %s $W/data$P)
  cat > $W/ranges.lua <<LUA
request = function()
  local first = math.random(0, $SIZE - 8192)
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. first .. "-" .. (first + 8191) })
end
LUA
  curl -s -o /dev/null http://127.0.0.1:18992$P
  for kind in ranges hits; do
    local a b n
    a=$(awk '{print $14+$15}' /proc/$PID/stat)
    if [ $kind = ranges ]; then wrk -t2 -c64 -d6s -s $W/ranges.lua http://127.0.0.1:18992$P > $W/out; else wrk -t2 -c64 -d6s -s $W/post.lua http://127.0.0.1:18992/api/voice > $W/out; fi
    b=$(awk '{print $14+$15}' /proc/$PID/stat)
    n=$(awk '/requests in/ {print $1}' $W/out)
    printf "%-8s %-7s round %s: %8s req/s, %5.1f us CPU/request\n" $1 $kind $2 "$(awk '/^Requests\/sec/ {print $2}' $W/out)" "$(python3 -c "print(($b-$a)*10000/$n)")"
  done
  kill $PID; wait $PID 2>/dev/null || true
  rm -rf $W/data
}
for round in $(seq "$ROUNDS"); do measure info $round; measure warning $round; done
