#!/usr/bin/env bash
# Proves the Vagrantfile's provisioning without a hypervisor: boots a fresh Debian 12 root file system with
# systemd as PID 1 in a container (debootstrap + systemd-nspawn), runs Scripts/provision-debian12.sh in it
# exactly as `vagrant up` does, and then checks what an operator relies on:
#   - the unit is enabled and active, runs as the `voicevault` user, and /healthz answers;
#   - a client key set in /etc/voicevault/voicevault.env takes effect on restart and generates audio (offline
#     espeak-ng, as no ElevenLabs key is set), stored under /var/lib/voicevault owned by the service user;
#   - after a restart the same request is a cache hit and the file downloads with the same bytes;
#   - a second server on the same data directory refuses to start;
#   - `systemctl stop` ends the service cleanly (SIGTERM, graceful);
#   - provisioning again (`vagrant provision`) rebuilds, restarts and keeps the data.
#
# Usage (as root, on a Debian host; takes 15-25 minutes, most of it the release build inside the container):
#   Scripts/check-provisioning.sh [--reuse]
# --reuse keeps the container's root file system from an earlier run (faster; not a fresh machine).
#
# Where this machine cannot reach download.swift.org or github.com, the host's toolchain (/opt/swift) and
# package mirror (/opt/swift-packages, with git's insteadOf) are bound into the container read-only; the script
# says so. Port 8080 on the host must be free: the container shares the host's network, as a VM's forwarded port.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
rootfs=${VOICEVAULT_PROVISION_ROOT:-/var/tmp/voicevault-bookworm}
swift_version=$(sed -n 's/^SWIFT_VERSION = "\(.*\)"$/\1/p' Vagrantfile)
base=http://127.0.0.1:8080

step() { printf '\n=== %s\n' "$*" >&2; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap and systemd-nspawn need it)"
[ -n "$swift_version" ] || fail "no SWIFT_VERSION in the Vagrantfile"
if curl -fsS --max-time 2 "$base/healthz" >/dev/null 2>&1; then fail "something already answers on $base"; fi
Scripts/install-system-packages.sh debootstrap systemd-container curl python3

if [ "${1:-}" != "--reuse" ] || [ ! -f "$rootfs/etc/debian_version" ]; then
    step "debootstrap Debian 12 (bookworm) into $rootfs"
    rm -rf "$rootfs"
    mkdir -p "$rootfs"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,ca-certificates bookworm "$rootfs" \
        http://deb.debian.org/debian >/dev/null
fi

binds=(--bind-ro="$repo:/vagrant")
swift_url="https://download.swift.org/swift-${swift_version}-release/debian12/swift-${swift_version}-RELEASE/swift-${swift_version}-RELEASE-debian12.tar.gz"
if curl -fsI --max-time 10 "$swift_url" >/dev/null 2>&1; then
    echo "download.swift.org answers: the provisioning downloads the toolchain itself" >&2
else
    [ -x /opt/swift/usr/bin/swift ] || fail "download.swift.org is unreachable and the host has no /opt/swift"
    echo "download.swift.org is unreachable: binding the host's /opt/swift (Swift $swift_version) read-only" >&2
    mkdir -p "$rootfs/opt/swift"
    binds+=(--bind-ro=/opt/swift:/opt/swift)
fi
rm -f "$rootfs/etc/gitconfig"
if ! curl -fsI --max-time 10 https://github.com >/dev/null 2>&1; then
    [ -d /opt/swift-packages ] || fail "github.com is unreachable and the host has no /opt/swift-packages mirror"
    echo "github.com is unreachable: binding the host's package mirror /opt/swift-packages read-only" >&2
    mkdir -p "$rootfs/opt/swift-packages"
    binds+=(--bind-ro=/opt/swift-packages:/opt/swift-packages)
    printf '[url "/opt/swift-packages/"]\n\tinsteadOf = https://github.com/\n[safe]\n\tdirectory = *\n' \
        > "$rootfs/etc/gitconfig"
fi

step "boot the container with systemd as PID 1"
log=$(mktemp -t voicevault-nspawn.XXXXXX)
systemd-nspawn --quiet --register=no --keep-unit --boot --console=passive --machine=voicevault \
    --directory="$rootfs" "${binds[@]}" >"$log" 2>&1 &
nspawn=$!
container_init=""
cleanup() {
    if [ -n "$container_init" ] && kill -0 "$nspawn" 2>/dev/null; then
        nsenter --target "$container_init" --all --root --wd systemctl poweroff >/dev/null 2>&1 || true
        for _ in $(seq 1 30); do kill -0 "$nspawn" 2>/dev/null || break; sleep 1; done
    fi
    kill "$nspawn" 2>/dev/null || true
    wait "$nspawn" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 60); do
    container_init=$(pgrep --parent "$nspawn" --exact systemd || true)
    [ -n "$container_init" ] && break
    kill -0 "$nspawn" 2>/dev/null || { cat "$log" >&2; fail "systemd-nspawn exited"; }
    sleep 1
done
[ -n "$container_init" ] || { cat "$log" >&2; fail "the container's systemd never started"; }

# Runs a command inside the container as root, with a clean login-like environment.
inside() {
    nsenter --target "$container_init" --all --root --wd \
        env -i PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 "$@"
}
state=$(inside systemctl is-system-running --wait || true)
echo "container systemd: $state" >&2
[ "$state" = running ] || [ "$state" = degraded ] || fail "the container did not boot (state: $state)"

step "provision, as \`vagrant up\` does"
inside env SWIFT_VERSION="$swift_version" VOICEVAULT_SOURCE=/vagrant bash /vagrant/Scripts/provision-debian12.sh \
    || fail "provisioning failed"

step "the unit: enabled, active, unprivileged"
[ "$(inside systemctl is-enabled voicevault)" = enabled ] || fail "voicevault.service is not enabled"
[ "$(inside systemctl is-active voicevault)" = active ] || fail "voicevault.service is not active"
main_pid=$(inside systemctl show --property MainPID --value voicevault)
[ "$(inside stat -c %U "/proc/$main_pid")" = voicevault ] || fail "the service does not run as voicevault"
curl -fsS "$base/healthz" >/dev/null || fail "/healthz does not answer"

step "a client key from /etc/voicevault/voicevault.env, then a generation stored under /var/lib/voicevault"
inside sh -c 'echo VOICEVAULT_API_KEYS=vm-check-key >> /etc/voicevault/voicevault.env'
inside systemctl restart voicevault
for _ in $(seq 1 30); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 1; done
request='{"text":"Provisioned on Debian twelve.","voiceId":"21m00Tcm4TlvDq8ikWAM","bookId":"vm-check"}'
voice() { curl -fsS -H 'Authorization: Bearer vm-check-key' -H 'Content-Type: application/json' -d "$request" "$base/api/voice"; }
first=$(voice) || fail "POST /api/voice failed after setting the key"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
[ "$(field "$first" cached)" = False ] || fail "the first generation claims to be cached: $first"
url=$(field "$first" url)
file="$rootfs/var/lib/voicevault/audio/${url#/audio/}"
[ -s "$file" ] || fail "no file at $file"
owner=$(inside stat -c %U "/var/lib/voicevault/audio/${url#/audio/}")
[ "$owner" = voicevault ] || fail "the audio file is owned by $owner"
before=$(curl -fsS "$base$url" | sha256sum)

step "restart: the index and the file survive"
inside systemctl restart voicevault
for _ in $(seq 1 30); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 1; done
second=$(voice) || fail "POST /api/voice failed after the restart"
[ "$(field "$second" cached)" = True ] || fail "the same request after a restart was not a cache hit: $second"
[ "$(curl -fsS "$base$url" | sha256sum)" = "$before" ] || fail "the downloaded bytes changed across the restart"

step "a second server on the same data directory refuses to start"
if inside setpriv --reuid=voicevault --regid=voicevault --init-groups \
    /usr/local/bin/voicevault serve --port 8081 --data-dir /var/lib/voicevault >/dev/null 2>&1; then
    fail "a second server started on the locked data directory"
fi

step "stop ends the service cleanly"
inside systemctl stop voicevault
result=$(inside systemctl show --property Result --value voicevault)
[ "$result" = success ] || fail "systemctl stop ended with result '$result'"

step "provision again, as \`vagrant provision\` does: rebuilds, restarts, keeps the data"
inside env SWIFT_VERSION="$swift_version" VOICEVAULT_SOURCE=/vagrant bash /vagrant/Scripts/provision-debian12.sh \
    || fail "provisioning a second time failed"
third=$(voice) || fail "POST /api/voice failed after provisioning again"
[ "$(field "$third" cached)" = True ] || fail "the data did not survive provisioning again: $third"

step "all provisioning checks passed"
