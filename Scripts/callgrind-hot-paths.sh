#!/usr/bin/env bash
# Instructions per request on the two hot paths (issue 13), counted by callgrind, so that a change can be shown
# on a noisy machine where wall-clock rates move by 20 % between runs:
#  - a random 64 KiB range of a ~1 MB file held by the download cache;
#  - a cache hit of POST /api/voice with a 1,100-character text;
# and, beside them, a random 64 KiB range of a 1 MiB Storage object in a public bucket (the Storage download), and
# the same cache hit as a reading app sends it, naming its chapter (chapterId, chapterIndex: `BookLink`).
# For each build directory given, a release server runs under callgrind; after a warm-up the counters are
# zeroed, N requests are sent one after another on one keep-alive connection, and the counters dumped:
# instructions per request = Ir / N (everything the server ran meanwhile, its timers and threads included).
# Usage: Scripts/callgrind-hot-paths.sh [requests=200] BIN_DIR [BIN_DIR...]
# KEEP_DUMPS=DIR keeps each dump there (range.BUILD.out, hit.BUILD.out) for callgrind_annotate.
# NGINX=1 also counts nginx (one worker, sendfile, the same file and client) on the range, for a peer's figure:
# user-space instructions only, as for the builds (the kernel's part is not counted for either).
#   e.g. Scripts/callgrind-hot-paths.sh 200 /tmp/vv-before/.build/release .build/release
# Needs valgrind >= 3.22 (Swift 6.3 emits DWARF 5) that copes with libdispatch's read-only sigsuspend mask:
# VALGRIND names it (Docs/PERFORMANCE.md says how the one used here was built).
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-200}; shift
VALGRIND=${VALGRIND:-valgrind}
CONTROL=${CALLGRIND_CONTROL:-$(dirname "$(command -v "$VALGRIND")")/callgrind_control}
Scripts/install-system-packages.sh curl python3 >/dev/null
swift build -c release --product fake-elevenlabs >/dev/null 2>&1
W=$(mktemp -d /tmp/vv-callgrind.XXXXXX)
.build/release/fake-elevenlabs --port 18981 --api-key fake > /dev/null 2>&1 & FAKE=$!
trap 'kill $FAKE 2>/dev/null || true; rm -rf $W' EXIT
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18981/ && break; sleep 0.1; done

cat > $W/client.py <<'PY'
import http.client, json, random, sys
port, kind, count, path, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
body = open(sys.argv[6]).read() if kind in ("hit", "chapter") else None
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
random.seed(42)
for _ in range(count):
    if kind in ("range", "object"):
        first = random.randint(0, size - 65536)
        connection.request("GET", path, headers={"Range": "bytes=%d-%d" % (first, first + 65535)})
        expected = 206
    else:
        connection.request("POST", "/api/voice", body=body,
                           headers={"Authorization": "Bearer bench", "Content-Type": "application/json"})
        expected = 200
    response = connection.getresponse()
    response.read()
    if response.status != expected:
        sys.exit("unexpected status %d" % response.status)
PY
python3 - > $W/hit.json <<'PY'
import json
text = ("The lamp had burned low, and the rain kept on against the glass as she turned the page. " * 13)[:1100]
print(json.dumps({"text": text, "voiceId": "21m00Tcm4TlvDq8ikWAM", "bookId": "bench"}))
PY
python3 - > $W/chapter.json <<'PY'
import json
text = ("The lamp had burned low, and the rain kept on against the glass as she turned the page. " * 13)[:1100]
print(json.dumps({"text": text, "voiceId": "21m00Tcm4TlvDq8ikWAM", "bookId": "bench", "chapterId": "ch-7", "chapterIndex": 7}))
PY
LONG=$(python3 -c 'print(("A long chapter for the download benchmark. " * 23)[:940])')

counted() { # dump file -> Ir
  awk '/^(summary|totals):/ {print $2; exit}' "$1"
}

printf "%-50s %14s %14s %16s %18s\n" "build" "Ir per range" "Ir per hit" "Ir per obj range" "Ir per chapter hit"
for BIN in "$@"; do
  BIN=$(cd "$BIN" && pwd)
  rm -rf $W/data $W/cg.*
  ELEVENLABS_API_KEY=fake ELEVENLABS_BASE_URL=http://127.0.0.1:18981 VOICEVAULT_API_KEYS=bench VOICEVAULT_LOG_LEVEL=warning \
    VOICEVAULT_MAX_UPLOAD_BYTES=2000000 \
    "$VALGRIND" --tool=callgrind --callgrind-out-file=$W/cg.out "$BIN/voicevault" serve --port 18982 --data-dir $W/data \
    > $W/vv.log 2>&1 & PID=$!
  for _ in $(seq 600); do curl -s -o /dev/null http://127.0.0.1:18982/healthz && break; sleep 0.2; done
  P=$(curl -s -H 'Authorization: Bearer bench' -d "{\"text\":\"$LONG\",\"voiceId\":\"21m00Tcm4TlvDq8ikWAM\",\"bookId\":\"bench\"}" \
      http://127.0.0.1:18982/api/voice | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
  SIZE=$(stat -c %s $W/data$P)
  curl -s -o /dev/null -H 'Authorization: Bearer bench' -d @$W/hit.json http://127.0.0.1:18982/api/voice  # the miss
  head -c 1048576 /dev/urandom > $W/object.bin
  curl -s -o /dev/null -H 'Authorization: Bearer bench' -H 'Content-Type: application/json' -d '{"id":"bench","public":true}' \
    http://127.0.0.1:18982/storage/v1/bucket
  curl -s -o /dev/null -H 'Authorization: Bearer bench' -H 'Content-Type: application/octet-stream' --data-binary @$W/object.bin \
    http://127.0.0.1:18982/storage/v1/object/bench/long.bin
  OBJECT=/storage/v1/object/public/bench/long.bin
  # Warm-up: the file read into the cache, the memo filled, every lazy initialisation done.
  python3 $W/client.py 18982 range 50 "$P" "$SIZE" -
  python3 $W/client.py 18982 hit 50 "$P" "$SIZE" $W/hit.json
  python3 $W/client.py 18982 object 50 "$OBJECT" 1048576 -
  python3 $W/client.py 18982 chapter 50 "$P" "$SIZE" $W/chapter.json
  RESULT=()
  for kind in range hit object chapter; do
    "$CONTROL" -z $PID > /dev/null 2>&1
    if [ $kind = object ]; then
      python3 $W/client.py 18982 object "$REQUESTS" "$OBJECT" 1048576 -
    elif [ $kind = chapter ]; then
      python3 $W/client.py 18982 chapter "$REQUESTS" "$P" "$SIZE" $W/chapter.json
    else
      python3 $W/client.py 18982 $kind "$REQUESTS" "$P" "$SIZE" $W/hit.json
    fi
    "$CONTROL" -d $PID > /dev/null 2>&1
    DUMP=$(ls -t $W/cg.out.* | head -1)
    RESULT+=("$(( $(counted "$DUMP") / REQUESTS ))")
    if [ -n "${KEEP_DUMPS:-}" ]; then mkdir -p "$KEEP_DUMPS"; mv "$DUMP" "$KEEP_DUMPS/$kind.$(basename "$BIN").out"; else rm -f "$DUMP"; fi
  done
  printf "%-50s %14s %14s %16s %18s\n" "$BIN" "${RESULT[0]}" "${RESULT[1]}" "${RESULT[2]}" "${RESULT[3]}"
  kill $PID; wait $PID 2>/dev/null || true
done

if [ "${NGINX:-0}" = 1 ]; then
  Scripts/install-system-packages.sh nginx >/dev/null
  chmod 755 $W; chmod -R a+rX $W/data
  cat > $W/nginx.conf <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $W/nginx.pid;
error_log $W/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  types { audio/mpeg mp3; }
  server { listen 127.0.0.1:18983; tcp_nopush off; location /audio/ { root $W/data; } }
}
CONF
  "$VALGRIND" --tool=callgrind --callgrind-out-file=$W/cg.out "$(command -v nginx)" -c $W/nginx.conf -p $W > $W/nginx-vg.log 2>&1 & PID=$!
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:18983$P" && break; sleep 0.2; done
  python3 $W/client.py 18983 range 50 "$P" "$SIZE" -
  "$CONTROL" -z $PID > /dev/null 2>&1
  python3 $W/client.py 18983 range "$REQUESTS" "$P" "$SIZE" -
  "$CONTROL" -d $PID > /dev/null 2>&1
  DUMP=$(ls -t $W/cg.out.* | head -1)
  printf "%-50s %14s %14s %16s %18s\n" "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (sendfile, one worker)" "$(( $(counted "$DUMP") / REQUESTS ))" "-" "-" "-"
  if [ -n "${KEEP_DUMPS:-}" ]; then mv "$DUMP" "$KEEP_DUMPS/range.nginx.out"; fi
  kill $PID; wait $PID 2>/dev/null || true
fi
