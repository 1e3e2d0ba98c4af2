#!/usr/bin/env bash
# Installs what the image test needs from Debian: podman and buildah (build and run without a
# Docker engine), runc, netavark, and debootstrap (the local base image). Nothing happens when
# all are there already.
#
# Exit status: 0 ready; 77 impossible here (not root, or no apt-get), with the reason on stderr;
# anything else: the install failed.
set -euo pipefail

missing=()
for tool in podman buildah runc debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
# podman's network helper: only a Recommends of Debian's podman, yet `podman build` fails without it.
compgen -G "/usr/lib*/podman/netavark" >/dev/null || missing+=(netavark)
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "missing ${missing[*]}, and installing them needs root (podman builds here run as root)" >&2
    exit 77
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing ${missing[*]}, and there is no apt-get to install them with" >&2
    exit 77
fi

echo "install-tools: apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq "${missing[@]}" >&2
