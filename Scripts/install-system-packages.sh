#!/usr/bin/env bash
# Installs the Debian packages VoiceVault builds and tests with, only those missing, so a second run is instant.
# Usage: Scripts/install-system-packages.sh [extra-package ...]
set -euo pipefail

packages=(liblmdb-dev libssl-dev libsqlite3-dev pkg-config python3 "$@")
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Services in these packages (nginx, postgresql) are not started by their installation: the tests and benchmarks
# start their own on loopback ports. policy-rc.d answering 101 is Debian's way to say so; one already there is kept.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
