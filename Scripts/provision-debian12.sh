#!/usr/bin/env bash
# Provisions a Debian 12 machine to run VoiceVault as a systemd service: installs the Swift toolchain (unless
# /opt/swift already has one), builds a release binary from a copy of the sources, installs it with the unit
# file Scripts/systemd/voicevault.service, and waits for /healthz. Data lives under /var/lib/voicevault.
#
# The Vagrantfile runs this as root inside its VM; Scripts/check-provisioning.sh runs it inside a Debian 12
# container booted with systemd, so the service is proven without a hypervisor. Idempotent: run it again after
# a change (`vagrant provision`) and it rebuilds and restarts.
#
# Environment: VOICEVAULT_SOURCE (default /vagrant), SWIFT_VERSION (default 6.3.1).
set -euxo pipefail
source_dir=${VOICEVAULT_SOURCE:-/vagrant}
swift_version=${SWIFT_VERSION:-6.3.1}
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
# The Swift toolchain's own runtime dependencies on Debian 12, plus what the build and the service use.
apt-get install -y -qq binutils ca-certificates curl git gnupg libc6-dev libcurl4-openssl-dev libedit2 \
  libgcc-12-dev libncurses-dev libpython3-dev libsqlite3-0 libstdc++-12-dev libxml2-dev libz3-dev \
  pkg-config rsync tzdata unzip zlib1g-dev
if [ ! -x /opt/swift/usr/bin/swift ]; then
  url="https://download.swift.org/swift-${swift_version}-release/debian12/swift-${swift_version}-RELEASE/swift-${swift_version}-RELEASE-debian12.tar.gz"
  curl -fsSL "$url" -o /tmp/swift.tar.gz
  mkdir -p /opt/swift
  tar -xzf /tmp/swift.tar.gz -C /opt/swift --strip-components=1
  rm /tmp/swift.tar.gz
fi
echo 'export PATH=/opt/swift/usr/bin:$PATH' > /etc/profile.d/swift.sh
export PATH=/opt/swift/usr/bin:$PATH

# Build from a copy, so the host's build folders (another platform) and its Package.resolved (pinned to the
# host's package mirrors) are never reused, and the host's data directory never reaches the machine.
rsync -a --delete --exclude '.build*' --exclude Package.resolved --exclude data --exclude .schemathesis \
  "$source_dir"/ /opt/voicevault-src/
cd /opt/voicevault-src
# espeak-ng and lame: the service speaks offline with them until ELEVENLABS_API_KEY is set.
Scripts/install-system-packages.sh espeak-ng lame
swift build -c release --product voicevault
install -m 0755 .build/release/voicevault /usr/local/bin/voicevault

id voicevault >/dev/null 2>&1 || useradd --system --home-dir /var/lib/voicevault --shell /usr/sbin/nologin voicevault
mkdir -p /etc/voicevault
if [ ! -f /etc/voicevault/voicevault.env ]; then
  printf '%s\n' \
    '# Read by voicevault.service; see /opt/voicevault-src/Docs/OPERATIONS.md. Restart the service after a change.' \
    '# ELEVENLABS_API_KEY=' \
    '# VOICEVAULT_API_KEYS=' > /etc/voicevault/voicevault.env
fi
chmod 0640 /etc/voicevault/voicevault.env
chgrp voicevault /etc/voicevault/voicevault.env
install -m 0644 Scripts/systemd/voicevault.service /etc/systemd/system/voicevault.service
systemctl daemon-reload
systemctl enable voicevault
systemctl restart voicevault
for attempt in $(seq 1 30); do
  curl -fsS http://127.0.0.1:8080/healthz && exit 0
  sleep 1
done
journalctl -u voicevault --no-pager -n 50
exit 1
