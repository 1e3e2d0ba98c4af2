#!/usr/bin/env bash
# Builds a local stand-in for airbyte/python-connector-base:4.1.0 and prints its image name.
#
# Usage: integration_tests/image/build-base.sh [CACHE_DIR]     (root; needs debootstrap, podman)
#
# No registry can be pulled from on the machines this project is tested on, so the image test
# cannot use Airbyte's real base image. This makes the closest thing Debian gives us: trixie,
# whose python3 is 3.13 like the real base's, with pip, the timezone set to
# UTC, an unprivileged `airbyte` user with uid/gid 1000 and /airbyte owned by it, as Airbyte's
# base image has. `python` and `pip` are on PATH and pip may install system-wide, as in the
# official Python images.
#
# One addition the real base does not have: the host's extra CA certificates
# (/usr/local/share/ca-certificates), so that pip inside `podman build` trusts a TLS-inspecting
# egress proxy the way the host does. Without one there is nothing to copy.
#
# The root filesystem is built once with debootstrap (~2 minutes) and kept as a tarball in
# CACHE_DIR (default: <repo>/.image-cache); later runs import the tarball, or reuse the image
# if podman still has it. The cache key covers this script and the copied certificates.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache_dir="$(mkdir -p "${1:-$repo/.image-cache}" && cd "${1:-$repo/.image-cache}" && pwd)"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# trixie: Debian's release with Python 3.13 (bookworm has 3.11).
suite=trixie
# No python3-pip: it brings Debian's own python3-* libraries (packaging, ...), which pip cannot
# replace. pip is installed from Debian's pip wheel into /usr/local instead, as in the official
# Python images, and the only Python packages of the base are pip's.
packages=python3,python3-pip-whl,python-is-python3,ca-certificates,tzdata

log() { echo "build-base: $*" >&2; }

key="$(
    {
        cat "$0"
        find /usr/local/share/ca-certificates -type f -name '*.crt' 2>/dev/null | sort | xargs -r cat
    } | sha256sum | cut -c1-16
)"
image="localhost/source-braze-campaigns-test-base:$key"
tarball="$cache_dir/debian-$suite-python-$key.tar"

if podman image exists "$image"; then
    log "reusing $image"
    echo "$image"
    exit 0
fi

if [ ! -s "$tarball" ]; then
    rootfs="$(mktemp -d "$cache_dir/rootfs.XXXXXX")"
    cleanup() {
        # debootstrap may leave /proc, /sys or a bind-mounted /dev behind on failure: unmount
        # before deleting, and never cross into another file system.
        for mount in dev/pts dev proc sys; do
            umount -l "$rootfs/$mount" 2>/dev/null || true
        done
        rm -rf --one-file-system "$rootfs"
    }
    trap cleanup EXIT

    log "debootstrap $suite from $mirror (first run only)"
    debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >&2

    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    fi
    chroot "$rootfs" /bin/sh -euc '
        ln -snf /usr/share/zoneinfo/Etc/UTC /etc/localtime
        echo Etc/UTC > /etc/timezone
        update-ca-certificates >/dev/null
        rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
        wheel="$(ls /usr/share/python-wheels/pip-*.whl)"
        python3 "$wheel/pip" install --quiet --no-index --no-cache-dir "$wheel"
        python3 -c "import sys; assert sys.version_info[:2] == (3, 13), sys.version"
        groupadd --system --gid 1000 airbyte
        useradd --system --uid 1000 --gid airbyte --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin airbyte
        mkdir -p /airbyte
        chown airbyte:airbyte /airbyte
        apt-get clean
        rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
    ' >&2

    tar -C "$rootfs" --numeric-owner -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    # Older tarballs of this base are superseded by this one.
    find "$cache_dir" -maxdepth 1 -name "debian-$suite-python-*.tar" ! -name "$(basename "$tarball")" -delete
fi

log "importing $tarball"
podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    --message "local stand-in for airbyte/python-connector-base:4.1.0 (debootstrap $suite)" \
    "$tarball" "$image" >&2
echo "$image"
