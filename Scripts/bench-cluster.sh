#!/usr/bin/env bash
# Cluster benchmark (issue 26), in one run on this machine: the embedded store against cluster nodes on
# PostgreSQL and SeaweedFS (Scripts/cluster-engines.sh), with the same fake upstream and release build:
#  1. paragraph cache hits (POST /api/voice) and 64 KiB ranges of a 1 MB file, wrk -t2 -c64: one embedded
#     server; one cluster node; three cluster nodes behind nginx (round robin);
#  2. one range on a warm node and on a node whose copy is gone (VOICEVAULT_BLOB_CACHE_MIB=0), 30 of each;
#  3. listeners joining a generation in progress (the fake streaming over 3 s): one on the generating node and
#     one on another node, which relays it, at the same moment; their time to the first audio and to the end.
# Usage: Scripts/bench-cluster.sh [seconds=10]     (per-request CPU: Scripts/callgrind-hot-paths.sh with the
# cluster's settings in the environment measures a warm node's hot paths)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
Scripts/install-system-packages.sh wrk nginx curl >/dev/null
swift build -c release --product voicevault >/dev/null
swift build -c release --product fake-elevenlabs >/dev/null
BIN=$(pwd)/.build/release
WORK=$(mktemp -d /tmp/vv-bench-cluster.XXXXXX); chmod 755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  Scripts/cluster-engines.sh stop "$WORK/engines"; rm -rf "$WORK"
}
trap cleanup EXIT
Scripts/cluster-engines.sh start "$WORK/engines" >/dev/null
"$BIN/fake-elevenlabs" --port 18911 > "$WORK/fake.log" 2>&1 & PIDS+=($!)
common=(ELEVENLABS_API_KEY=fake-key ELEVENLABS_BASE_URL=http://127.0.0.1:18911 VOICEVAULT_API_KEYS=bench VOICEVAULT_LOG_LEVEL=warning)
env "${common[@]}" "$BIN/voicevault" serve --port 18912 --data-dir "$WORK/embedded" > "$WORK/embedded.log" 2>&1 & PIDS+=($!)
cluster=($(sed -n 's/^export //p' "$WORK/engines/env" | tr -d "'"))
for port in 18913 18914 18915; do
  env "${common[@]}" "${cluster[@]}" VOICEVAULT_NODE_URL=http://127.0.0.1:$port \
    "$BIN/voicevault" serve --port $port --data-dir "$WORK/node-$port" > "$WORK/node-$port.log" 2>&1 & PIDS+=($!)
done
env "${common[@]}" "${cluster[@]}" VOICEVAULT_BLOB_CACHE_MIB=0 VOICEVAULT_QUOTA_INTERVAL_MS=20 \
  "$BIN/voicevault" serve --port 18916 --data-dir "$WORK/cold" > "$WORK/cold.log" 2>&1 & PIDS+=($!)
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream nodes { server 127.0.0.1:18913; server 127.0.0.1:18914; server 127.0.0.1:18915; keepalive 64; }
  server {
    listen 127.0.0.1:18917;
    client_body_buffer_size 1m;
    location / { proxy_pass http://nodes; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" & sleep 0.5
PIDS+=($(cat "$WORK/nginx/nginx.pid"))
for port in 18912 18913 18914 18915 18916 18917; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
done

LONG=$(python3 -c 'print(("A long chapter for the download benchmark. " * 23)[:940])')
PARAGRAPH=$(python3 -c 'print(("The lamp had burned low, and the rain kept on against the glass as she turned the page. " * 13)[:1100])')
BODY="{\"text\":\"$PARAGRAPH\",\"voiceId\":\"21m00Tcm4TlvDq8ikWAM\",\"bookId\":\"bench\"}"
for port in 18912 18913; do  # the embedded server's own copy; the cluster's, shared by every node
  curl -s -o /dev/null -H 'Authorization: Bearer bench' -d "$BODY" http://127.0.0.1:$port/api/voice
  URL=$(curl -s -H 'Authorization: Bearer bench' -d "{\"text\":\"$LONG\",\"voiceId\":\"21m00Tcm4TlvDq8ikWAM\",\"bookId\":\"bench\"}" \
    http://127.0.0.1:$port/api/voice | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
done
for port in 18914 18915 18916; do  # every node holds both before it is measured
  curl -s -o /dev/null -H 'Authorization: Bearer bench' -d "$BODY" http://127.0.0.1:$port/api/voice
  curl -s -o /dev/null http://127.0.0.1:$port$URL
done
cat > "$WORK/hit.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$BODY]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
LUA
cat > "$WORK/range.lua" <<LUA
math.randomseed(42)
request = function()
  local first = math.random(0, 900000)
  return wrk.format("GET", "$URL", { ["Range"] = "bytes=" .. first .. "-" .. (first + 65535) })
end
LUA
printf "%-34s %16s %16s\n" "" "hits req/s" "ranges req/s"
for target in "embedded:18912" "one cluster node:18913" "three nodes behind nginx:18917"; do
  name=${target%:*}; port=${target##*:}
  hits=$(wrk -t2 -c64 -d"${DURATION}s" -s "$WORK/hit.lua" "http://127.0.0.1:$port/api/voice" | awk '/Requests\/sec/ {print $2}')
  ranges=$(wrk -t2 -c64 -d"${DURATION}s" -s "$WORK/range.lua" "http://127.0.0.1:$port" | awk '/Requests\/sec/ {print $2}')
  printf "%-34s %16s %16s\n" "$name" "$hits" "$ranges"
done
python3 - "$URL" "$WORK/cold/audio" <<'PY'
import http.client, os, sys, time, statistics
url, cold_audio = sys.argv[1], sys.argv[2]
def timed(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    connection.request("GET", url, headers={"Range": "bytes=1000-66535"})
    response = connection.getresponse(); response.read()
    assert response.status == 206, response.status
    connection.close()
    return (time.perf_counter() - start) * 1000
def held():
    return any(name.endswith(".mp3") for _, _, names in os.walk(cold_audio) for name in names)
warm = [timed(18913) for _ in range(30)]
cold = []
for _ in range(30):
    for _ in range(500):
        if not held(): break
        time.sleep(0.01)
    cold.append(timed(18916))
print("one 64 KiB range of the 1 MB file, ms (median, p90): warm node %.2f, %.2f; copy gone %.2f, %.2f"
      % (statistics.median(warm), sorted(warm)[26], statistics.median(cold), sorted(cold)[26]))
PY
python3 - <<'PY'
import http.client, json, statistics, threading, time
VOICE = "21m00Tcm4TlvDq8ikWAM"
def script(actions):
    connection = http.client.HTTPConnection("127.0.0.1", 18911, timeout=10)
    connection.request("POST", "/_fake/script", body=json.dumps({"voiceId": VOICE, "actions": actions}))
    connection.getresponse().read()
def calls():
    connection = http.client.HTTPConnection("127.0.0.1", 18911, timeout=10)
    connection.request("GET", "/_fake/calls")
    return json.loads(connection.getresponse().read())["total"]
def listen(port, text, out):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    connection.request("POST", "/v1/text-to-speech/%s/stream" % VOICE, body=json.dumps({"text": text}),
                       headers={"xi-api-key": "bench", "Content-Type": "application/json"})
    response = connection.getresponse()
    first = None; size = 0
    while True:
        chunk = response.read1(65536)
        if not chunk: break
        if first is None: first = time.perf_counter()
        size += len(chunk)
    out.append(((first - start) * 1000, (time.perf_counter() - start) * 1000, size))
same, other = [], []
for trial in range(10):
    text = "Trial %d of a chapter heard on two nodes while it is made. " % trial * 20
    script(["latency:3000"])
    before = calls()
    leader = threading.Thread(target=listen, args=(18913, text, []))
    leader.start()
    while calls() == before: time.sleep(0.005)
    time.sleep(0.5)  # the generation is under way: both listeners join it at the same moment
    threads = [threading.Thread(target=listen, args=(18913, text, same)), threading.Thread(target=listen, args=(18914, text, other))]
    for thread in threads: thread.start()
    for thread in threads + [leader]: thread.join()
    assert same[-1][2] == other[-1][2] > 0, (same[-1], other[-1])
print("joining a generation in progress, ms to first audio / to the end (median of 10): same node %.1f / %.0f; another node (relayed) %.1f / %.0f"
      % (statistics.median(s[0] for s in same), statistics.median(s[1] for s in same),
         statistics.median(o[0] for o in other), statistics.median(o[1] for o in other)))
PY
