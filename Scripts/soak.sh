#!/usr/bin/env bash
# Soak (issue 13): MINUTES of mixed load against one release server, sampling its memory and open
# descriptors every 10 s. After a warm-up (the first half, at least a minute: long enough for the bounded
# caches, such as the memo of validated bodies that the misses fill, to be full) neither may keep growing.
# Memory is the process's anonymous resident memory (RssAnon: heap, stacks, caches): its file-backed pages
# are mostly the index's memory map, which grows with the data by design (every miss adds a record).
#   - cache hits (POST /api/voice, 64 bodies in rotation) and random 64 KiB ranges, each from wrk at 16
#     connections;
#   - misses: new texts, 4 at a time, through the fake upstream (50 ms);
#   - Storage uploads of 100 KB and their removal, and admin deletes of fresh voice assets.
# Usage: Scripts/soak.sh [minutes=10]      (release build; loopback only). Prints a table and a verdict;
# exits 1 when memory or descriptors grew after warm-up by more than the allowance below.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
Scripts/install-system-packages.sh wrk curl python3 >/dev/null
swift build -c release --product voicevault >/dev/null 2>&1
swift build -c release --product fake-elevenlabs >/dev/null 2>&1
BIN=.build/release
WORK=$(mktemp -d /tmp/vv-soak.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

FAKE_PORT=18941; VV_PORT=18942
"$BIN/fake-elevenlabs" --port $FAKE_PORT --latency-ms 50 > "$WORK/fake.log" 2>&1 & PIDS+=($!)
ELEVENLABS_API_KEY=fake-key ELEVENLABS_BASE_URL=http://127.0.0.1:$FAKE_PORT VOICEVAULT_API_KEYS=soak \
VOICEVAULT_ADMIN_TOKEN=soak-admin VOICEVAULT_LOG_LEVEL=warning \
  "$BIN/voicevault" serve --port $VV_PORT --data-dir "$WORK/data" > "$WORK/vv.log" 2>&1 & VV_PID=$!; PIDS+=($VV_PID)
for port in $FAKE_PORT $VV_PORT; do
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done
BASE=http://127.0.0.1:$VV_PORT

# The hit set, and one asset for ranges.
for i in $(seq 0 63); do
  curl -s -o /dev/null -H 'Authorization: Bearer soak' \
    -d "{\"text\":\"Soak chapter $i: the same text asked again and again.\",\"voiceId\":\"21m00Tcm4TlvDq8ikWAM\",\"bookId\":\"soak\"}" "$BASE/api/voice"
done
URL_PATH=$(curl -s -H 'Authorization: Bearer soak' \
  -d "{\"text\":\"$(python3 -c 'print(("A long chapter for the ranges of the soak. " * 23)[:940])')\",\"voiceId\":\"21m00Tcm4TlvDq8ikWAM\",\"bookId\":\"soak\"}" \
  "$BASE/api/voice" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
SIZE=$(stat -c %s "$WORK/data$URL_PATH")
curl -s -o /dev/null -H 'Authorization: Bearer soak' -H 'content-type: application/json' -d '{"id":"soak"}' "$BASE/storage/v1/bucket"

cat > "$WORK/hits.lua" <<'LUA'
counter = 0
request = function()
  counter = (counter + 1) % 64
  local body = '{"text":"Soak chapter ' .. counter .. ': the same text asked again and again.","voiceId":"21m00Tcm4TlvDq8ikWAM","bookId":"soak"}'
  return wrk.format("POST", "/api/voice", { ["Authorization"] = "Bearer soak", ["Content-Type"] = "application/json" }, body)
end
LUA
cat > "$WORK/ranges.lua" <<LUA
request = function()
  local first = math.random(0, $SIZE - 65536)
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. first .. "-" .. (first + 65535) })
end
LUA
SECONDS_TOTAL=$((MINUTES * 60))
wrk -t1 -c16 -d"${SECONDS_TOTAL}s" -s "$WORK/hits.lua" "$BASE/api/voice" > "$WORK/wrk-hits.txt" 2>&1 & PIDS+=($!)
wrk -t1 -c16 -d"${SECONDS_TOTAL}s" -s "$WORK/ranges.lua" "$BASE$URL_PATH" > "$WORK/wrk-ranges.txt" 2>&1 & PIDS+=($!)

# Misses, uploads with removals, and admin deletes of what the misses made, for the whole run.
python3 - "$BASE" "$SECONDS_TOTAL" > "$WORK/writers.txt" 2>&1 <<'PY' & PIDS+=($!)
import http.client, json, sys, threading, time, urllib.parse
base, seconds = sys.argv[1], int(sys.argv[2])
host = urllib.parse.urlparse(base)
deadline = time.time() + seconds
counts = {"misses": 0, "uploads": 0, "removals": 0, "deletes": 0, "errors": 0}
lock = threading.Lock()
def call(method, path, body=None, headers={}):
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data
def count(name, ok):
    with lock:
        counts[name if ok else "errors"] += 1
def misses(worker):
    n = 0
    while time.time() < deadline:
        n += 1
        body = json.dumps({"text": f"Fresh text {worker}-{n} at {time.time()}.", "voiceId": "21m00Tcm4TlvDq8ikWAM", "bookId": "soak-new"})
        status, data = call("POST", "/api/voice", body, {"Authorization": "Bearer soak", "Content-Type": "application/json"})
        count("misses", status == 200)
        if status == 200 and n % 2 == 0:
            digest = json.loads(data)["contentHash"]
            status, _ = call("DELETE", f"/admin/audio/{digest}", None, {"Authorization": "Bearer soak-admin"})
            count("deletes", status == 200)
def uploads():
    n = 0
    payload = b"s" * 100_000
    while time.time() < deadline:
        n += 1
        name = f"soak/{n % 50}.bin"
        status, _ = call("POST", f"/storage/v1/object/soak/{name}", payload,
                         {"Authorization": "Bearer soak", "Content-Type": "application/octet-stream", "x-upsert": "true"})
        count("uploads", status == 200)
        if n % 3 == 0:
            status, _ = call("DELETE", "/storage/v1/object/soak", json.dumps({"prefixes": [name]}),
                             {"Authorization": "Bearer soak", "Content-Type": "application/json"})
            count("removals", status == 200)
threads = [threading.Thread(target=misses, args=(w,)) for w in range(4)] + [threading.Thread(target=uploads)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(counts))
PY

echo "| minute | anonymous MiB | file-backed MiB | open descriptors |"
echo "|---:|---:|---:|---:|"
SAMPLES="$WORK/samples"
: > "$SAMPLES"
START=$(date +%s)
while [ $(( $(date +%s) - START + 10 )) -le "$SECONDS_TOTAL" ]; do
  sleep 10
  kill -0 "$VV_PID" 2>/dev/null || { echo "voicevault exited"; tail -20 "$WORK/vv.log"; exit 1; }
  RSS_KB=$(awk '/^RssAnon/ {print $2}' "/proc/$VV_PID/status")
  FILE_KB=$(awk '/^RssFile/ {print $2}' "/proc/$VV_PID/status")
  FDS=$(ls "/proc/$VV_PID/fd" | wc -l)
  ELAPSED=$(( $(date +%s) - START ))
  echo "$ELAPSED $RSS_KB $FDS" >> "$SAMPLES"
  if [ $((ELAPSED % 60)) -lt 10 ]; then
    printf "| %d | %.1f | %.1f | %d |\n" $((ELAPSED / 60)) "$(awk -v k="$RSS_KB" 'BEGIN {print k / 1024}')" \
      "$(awk -v k="$FILE_KB" 'BEGIN {print k / 1024}')" "$FDS"
  fi
done
wait_for_writers() { for _ in $(seq 60); do [ -s "$WORK/writers.txt" ] && return; sleep 1; done; }
wait_for_writers
echo
echo "hits:   $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-hits.txt") req/s, non-2xx $(awk '/Non-2xx/ {print $5}' "$WORK/wrk-hits.txt" | grep . || echo 0)"
echo "ranges: $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-ranges.txt") req/s, non-2xx $(awk '/Non-2xx/ {print $5}' "$WORK/wrk-ranges.txt" | grep . || echo 0)"
echo "writers: $(cat "$WORK/writers.txt")"
# Growth after warm-up: the mean of the last quarter against the mean of the quarter after warm-up.
python3 - "$SAMPLES" "$SECONDS_TOTAL" <<'PY'
import sys
rows = [tuple(map(int, line.split())) for line in open(sys.argv[1])]
total = int(sys.argv[2])
warm = max(60, total // 2)
after = [r for r in rows if r[0] > warm]
if len(after) < 4:
    print("too short to judge growth"); sys.exit(0)
quarter = max(1, len(after) // 4)
early, late = after[:quarter], after[-quarter:]
mean = lambda rs, i: sum(r[i] for r in rs) / len(rs)
rss_growth = (mean(late, 1) - mean(early, 1)) / 1024
fd_growth = mean(late, 2) - mean(early, 2)
print(f"after warm-up ({warm} s): anonymous {mean(early,1)/1024:.1f} -> {mean(late,1)/1024:.1f} MiB ({rss_growth:+.1f}), "
      f"descriptors {mean(early,2):.0f} -> {mean(late,2):.0f} ({fd_growth:+.0f}); peak {max(r[1] for r in rows)/1024:.1f} MiB")
# Allowance: 16 MiB of allocator noise and 8 descriptors of connections in flight.
ok = rss_growth <= 16 and fd_growth <= 8
print("verdict: " + ("flat" if ok else "GROWING"))
sys.exit(0 if ok else 1)
PY
