#!/usr/bin/env bash
# Builds the connector image from the repository's Dockerfile on the local Debian base, with
# podman and no Docker engine, and prints its name.
#
# Usage: integration_tests/image/build-image.sh [TAG]    (default localhost/source-braze-campaigns:dev)
#
# --isolation=chroot: RUN steps need no container runtime features this kind of machine lacks.
# --network=host: pip reaches PyPI as the host does. --layers: the dependency layer (pyproject.toml
# only) is reused while only the connector's code changes, so a rebuild takes seconds.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tag="${1:-localhost/source-braze-campaigns:dev}"

base="$("$here/build-base.sh" | tail -n 1)"
echo "build-image: building $tag on $base" >&2
podman build \
    --isolation=chroot \
    --network=host \
    --layers \
    --build-arg "BASE_IMAGE=$base" \
    --tag "$tag" \
    --file "$repo/Dockerfile" \
    "$repo" >&2
echo "$tag"
