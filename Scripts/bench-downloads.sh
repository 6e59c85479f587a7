#!/usr/bin/env bash
# Download benchmark (issue 4), in one run against nginx serving the same directory with sendfile:
#  - full GET of a ~1 MB MP3 at 64 connections (MB/s);
#  - random 64 KiB ranges at 64 connections (requests/s);
# with each server's CPU per request (user and system, from /proc).
# nginx runs twice: tcp_nopush on (its best for whole files) and off (its best for small ranges).
# Usage: Scripts/bench-downloads.sh [seconds=10] [rounds=5]      (release build; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-5}
Scripts/install-system-packages.sh wrk nginx curl >/dev/null
swift build -c release --product voicevault >/dev/null 2>&1
swift build -c release --product fake-elevenlabs >/dev/null 2>&1
BIN=.build/release
WORK=$(mktemp -d /tmp/vv-dlbench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

FAKE_PORT=18951; VV_PORT=18952; NGINX_NOPUSH_ON=18953; NGINX_NOPUSH_OFF=18954
"$BIN/fake-elevenlabs" --port $FAKE_PORT > "$WORK/fake.log" 2>&1 & PIDS+=($!)
ELEVENLABS_API_KEY=fake-key ELEVENLABS_BASE_URL=http://127.0.0.1:$FAKE_PORT VOICEVAULT_API_KEYS=bench \
VOICEVAULT_LOG_LEVEL=warning "$BIN/voicevault" serve --port $VV_PORT --data-dir "$WORK/data" > "$WORK/vv.log" 2>&1 & PIDS+=($!); VV_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$VV_PORT/healthz" && break; sleep 0.1; done

# ~1 MB: the fake speaks 1/15 s per character at 128 kbps (16 kB/s).
TEXT=$(python3 -c 'print(("A long chapter for the download benchmark. " * 23)[:940])')
URL_PATH=$(curl -s -H 'Authorization: Bearer bench' \
  -d "{\"text\":\"$TEXT\",\"voiceId\":\"21m00Tcm4TlvDq8ikWAM\",\"bookId\":\"bench\"}" \
  "http://127.0.0.1:$VV_PORT/api/voice" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
SIZE=$(stat -c %s "$WORK/data$URL_PATH")
chmod -R a+rX "$WORK/data/audio"

# The same directory behind two more servers (each needs its own copy: one server per data directory):
# every download through the router (the fast path off), and the fast path with no download cache, so
# every body goes out with sendfile from a descriptor.
VV_ROUTER_PORT=18955; VV_SENDFILE_PORT=18956
cp -a "$WORK/data" "$WORK/data-router"; cp -a "$WORK/data" "$WORK/data-sendfile"
VOICEVAULT_LOG_LEVEL=warning VOICEVAULT_FAST_PATH=off \
  "$BIN/voicevault" serve --port $VV_ROUTER_PORT --data-dir "$WORK/data-router" > "$WORK/vv-router.log" 2>&1 & PIDS+=($!); VV_ROUTER_PID=$!
VOICEVAULT_LOG_LEVEL=warning VOICEVAULT_DOWNLOAD_CACHE_MIB=0 \
  "$BIN/voicevault" serve --port $VV_SENDFILE_PORT --data-dir "$WORK/data-sendfile" > "$WORK/vv-sendfile.log" 2>&1 & PIDS+=($!); VV_SENDFILE_PID=$!
for port in $VV_ROUTER_PORT $VV_SENDFILE_PORT; do
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
done
# Warm: the first GET reads the file into the download cache.
curl -s -o /dev/null "http://127.0.0.1:$VV_PORT$URL_PATH"; curl -s -o /dev/null "http://127.0.0.1:$VV_ROUTER_PORT$URL_PATH"

cat > "$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  types { audio/mpeg mp3; }
  server { listen 127.0.0.1:$NGINX_NOPUSH_ON;  tcp_nopush on;  location /audio/ { root $WORK/data; } }
  server { listen 127.0.0.1:$NGINX_NOPUSH_OFF; tcp_nopush off; location /audio/ { root $WORK/data; } }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK"; sleep 0.3
PIDS+=($(cat "$WORK/nginx.pid"))

cat > "$WORK/ranges.lua" <<LUA
math.randomseed(42)
request = function()
  local first = math.random(0, $SIZE - 65536)
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. first .. "-" .. (first + 65535) })
end
LUA

# The server's CPU time so far, user and system, in clock ticks, summed over the processes given.
ticks() { for pid in "$@"; do cat "/proc/$pid/stat"; done | awk '{u += $14; s += $15} END {print u, s}'; }
TICK=$(getconf CLK_TCK)
# One wrk run; prints "req/s p50 p99 non-2xx user-µs sys-µs": the last two are the server's CPU per request
# (from /proc; loopback's receiving side is partly charged to the sender, so read them side by side only).
measure() {  # $1 port, $2 extra wrk args, $3... the server's processes
  local port=$1 extra=$2; shift 2
  local before after
  before=$(ticks "$@")
  wrk -t2 -c64 -d"${DURATION}s" --latency $extra "http://127.0.0.1:$port$URL_PATH" > "$WORK/out" 2>&1
  after=$(ticks "$@")
  local requests; requests=$(awk '/requests in/ {print $1}' "$WORK/out")
  echo "$(awk '/Requests\/sec/ {print $2}' "$WORK/out") $(awk '$1=="50%" {print $2}' "$WORK/out") $(awk '$1=="99%" {print $2}' "$WORK/out") $(awk '/Non-2xx/ {print $5}' "$WORK/out" | grep . || echo 0)" \
    "$(echo "$before $after" | awk -v n="$requests" -v t="$TICK" '{printf "%.1f %.1f", ($3 - $1) * 1e6 / t / n, ($4 - $2) * 1e6 / t / n}')"
}
LABELS=("voicevault, fast path, held" "voicevault, fast path, sendfile" "voicevault, router" "nginx sendfile, tcp_nopush on" "nginx sendfile, tcp_nopush off")
PORTS=($VV_PORT $VV_SENDFILE_PORT $VV_ROUTER_PORT $NGINX_NOPUSH_ON $NGINX_NOPUSH_OFF)
NGINX_WORKERS=$(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ')
SERVER_PIDS=("$VV_PID" "$VV_SENDFILE_PID" "$VV_ROUTER_PID" "$NGINX_WORKERS" "$NGINX_WORKERS")
# Rates on this machine move by 10-20 % from one run to the next, and with the order of runs: the servers take
# turns, ROUNDS times, each round starting one server later, and each one's median is reported (every round's
# figure too). Five rounds put every server in every position once.
echo "file: $SIZE bytes; wrk -t2 -c64 -d${DURATION}s; $ROUNDS rounds, servers in turn"
for workload in full ranges; do
  if [ $workload = full ]; then echo "== full GET"; EXTRA=""; else echo "== random 64 KiB ranges"; EXTRA="-s $WORK/ranges.lua"; fi
  for round in $(seq 0 $((ROUNDS - 1))); do
    # Each round starts with the next server, so that no server always runs first (or right after nginx).
    for step in "${!PORTS[@]}"; do
      index=$(( (round + step) % ${#PORTS[@]} ))
      measure "${PORTS[$index]}" "$EXTRA" ${SERVER_PIDS[$index]} >> "$WORK/$workload.$index"
    done
  done
  for index in "${!PORTS[@]}"; do
    rates=$(awk '{print $1}' "$WORK/$workload.$index" | sort -n | tr '\n' ' ')
    median=$(awk '{print $1}' "$WORK/$workload.$index" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    last=$(tail -1 "$WORK/$workload.$index")
    user=$(awk '{print $5}' "$WORK/$workload.$index" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    system=$(awk '{print $6}' "$WORK/$workload.$index" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf "%-34s median %10s req/s   (rounds: %s)  p50 %8s  p99 %8s  non-2xx: %s  CPU per request: user %s µs, system %s µs\n" \
      "${LABELS[$index]}" "$median" "$rates" \
      "$(echo "$last" | awk '{print $2}')" "$(echo "$last" | awk '{print $3}')" \
      "$(cat "$WORK/$workload.$index" | awk '{s+=$4} END {print s}')" "$user" "$system"
    echo "$median" > "$WORK/$workload.median.$index"
  done
  held=$(cat "$WORK/$workload.median.0"); sendfile=$(cat "$WORK/$workload.median.1")
  best=$(cat "$WORK/$workload.median.3" "$WORK/$workload.median.4" | sort -n | tail -1)
  awk -v h="$held" -v s="$sendfile" -v b="$best" 'BEGIN { printf "against nginx at its best (medians): held %.2fx, sendfile only %.2fx\n", h / b, s / b }'
done
