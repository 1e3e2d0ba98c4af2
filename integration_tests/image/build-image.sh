#!/usr/bin/env bash
# `docker build ARGS...` on this kind of machine: podman, no Docker engine, on the local Debian
# stand-in for Airbyte's base image (build-base.sh), which it builds first if needed.
#
# Usage: integration_tests/image/build-image.sh [PODMAN BUILD ARGS...]
#   e.g. build-image.sh -t airbyte/source-braze-campaigns:dev .     (from the repository's root)
#
# --isolation=chroot: RUN steps need no container runtime features this kind of machine lacks.
# --network=host: pip reaches PyPI as the host does. --layers: the dependency layer (the lock
# only) is reused while only the connector's code changes, so a rebuild takes seconds.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"

base="$("$here/build-base.sh" | tail -n 1)"
echo "build-image: podman build on $base" >&2
exec podman build \
    --isolation=chroot \
    --network=host \
    --layers \
    --build-arg "BASE_IMAGE=$base" \
    "$@"
