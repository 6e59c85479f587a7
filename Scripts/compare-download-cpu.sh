#!/usr/bin/env bash
# Server CPU per download range (user + system from /proc), two builds in alternating rounds, for a change that
# touches the download path (issue 13): each round starts a fresh server on one asset, reads it into the
# download cache, and runs wrk (-t2 -c64, 6 s) for random ranges of SPAN bytes.
# Usage: Scripts/compare-download-cpu.sh BEFORE_BIN_DIR AFTER_BIN_DIR [rounds=3] [span=65536]
#   e.g. git worktree add /tmp/vv-before HEAD~1 && (cd /tmp/vv-before && swift build -c release --product voicevault)
#        Scripts/compare-download-cpu.sh /tmp/vv-before/.build/release .build/release
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-system-packages.sh wrk curl python3 >/dev/null
swift build -c release --product fake-elevenlabs >/dev/null 2>&1
A=$(cd "$1" && pwd); B=$(cd "$2" && pwd); ROUNDS=${3:-3}; SPAN=${4:-65536}
W=$(mktemp -d /tmp/vv-cpucmp.XXXXXX)
.build/release/fake-elevenlabs --port 18991 --api-key fake > /dev/null 2>&1 & FAKE=$!
trap 'kill $FAKE 2>/dev/null; rm -rf $W' EXIT
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18991/ && break; sleep 0.1; done
TEXT=$(python3 -c 'print(("A long chapter for the download benchmark. " * 23)[:940])')
BODY="{\"text\":\"$TEXT\",\"voiceId\":\"21m00Tcm4TlvDq8ikWAM\",\"bookId\":\"bench\"}"
measure() { # bin label round
  ELEVENLABS_API_KEY=fake ELEVENLABS_BASE_URL=http://127.0.0.1:18991 VOICEVAULT_API_KEYS=bench VOICEVAULT_LOG_LEVEL=warning VOICEVAULT_METRICS_PUBLIC=true \
    $1/voicevault serve --port 18992 --data-dir $W/data > $W/vv.log 2>&1 & local PID=$!
  for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18992/healthz && break; sleep 0.1; done
  local P
  P=$(curl -s -H 'Authorization: Bearer bench' -d "$BODY" http://127.0.0.1:18992/api/voice | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
  local SIZE; SIZE=$(stat -c %s $W/data$P)
  cat > $W/ranges.lua <<LUA
math.randomseed(42)
request = function()
  local first = math.random(0, $SIZE - $SPAN)
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. first .. "-" .. (first + $SPAN - 1) })
end
LUA
  curl -s -o /dev/null http://127.0.0.1:18992$P
  local a b n
  a=$(awk '{print $14+$15}' /proc/$PID/stat)
  wrk -t2 -c64 -d6s -s $W/ranges.lua http://127.0.0.1:18992$P > $W/out
  b=$(awk '{print $14+$15}' /proc/$PID/stat)
  n=$(awk '/requests in/ {print $1}' $W/out)
  printf "%-8s round %s: %8s req/s, %5.1f us CPU/request, direct=%s\n" $2 $3 "$(awk '/^Requests\/sec/ {print $2}' $W/out)" "$(python3 -c "print(($b-$a)*10000/$n)")" \
    "$(curl -s http://127.0.0.1:18992/metrics | grep '^voicevault_http_fast_path_direct_responses_total' | awk '{print $2}')"
  kill $PID; wait $PID 2>/dev/null || true
  rm -rf $W/data
}
for round in $(seq "$ROUNDS"); do measure $A before $round; measure $B after $round; done
