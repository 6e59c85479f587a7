#!/usr/bin/env bash
# Three VoiceVault nodes on one machine (the Vagrant VM, say), as a cluster: PostgreSQL and SeaweedFS on
# loopback (Scripts/cluster-engines.sh), three `voicevault serve` processes on 8081-8083, each with its own data
# directory as its cache, and nginx on 8080 balancing them. For a try of Docs/OPERATIONS.md "Running several
# nodes"; nothing here is tuned or secured for production.
# Usage: Scripts/cluster-demo.sh start [DIR=/tmp/voicevault-cluster]   (release build; ELEVENLABS_API_KEY and
#        VOICEVAULT_API_KEYS from the environment, as for serve)
#        Scripts/cluster-demo.sh stop [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
ACTION=${1:?start or stop}; DIR=${2:-/tmp/voicevault-cluster}
if [ "$ACTION" = stop ]; then
  for pidfile in "$DIR"/node-*.pid; do [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true; done
  [ -f "$DIR/nginx/nginx.pid" ] && kill "$(cat "$DIR/nginx/nginx.pid")" 2>/dev/null || true
  Scripts/cluster-engines.sh stop "$DIR/engines"
  exit 0
fi
Scripts/install-system-packages.sh nginx curl >/dev/null
swift build -c release --product voicevault >/dev/null
mkdir -p "$DIR/nginx"; DIR=$(cd "$DIR" && pwd); chmod 755 "$DIR"
Scripts/cluster-engines.sh start "$DIR/engines"
. "$DIR/engines/env"
for n in 1 2 3; do
  VOICEVAULT_NODE_URL=http://127.0.0.1:808$n .build/release/voicevault serve --port 808$n --data-dir "$DIR/node-$n" \
    > "$DIR/node-$n.log" 2>&1 &
  echo $! > "$DIR/node-$n.pid"
done
cat > "$DIR/nginx/nginx.conf" <<CONF
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  upstream voicevault { server 127.0.0.1:8081; server 127.0.0.1:8082; server 127.0.0.1:8083; keepalive 32; }
  server {
    listen 127.0.0.1:8080;
    client_max_body_size 64m;
    location / {
      proxy_pass http://voicevault; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$http_host;
      proxy_read_timeout 300s;
    }
  }
}
CONF
nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"
for n in 1 2 3; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:808$n/healthz" && break; sleep 0.2; done
done
echo "three nodes on 8081-8083 behind nginx on http://127.0.0.1:8080; logs in $DIR; stop: $0 stop $DIR"
