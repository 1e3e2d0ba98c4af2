#!/usr/bin/env bash
# Runs the connector image the way `docker run --rm IMAGE ARGS...` would, on this kind of
# machine: runc and cgroupfs (no systemd), the host's network (the sandbox listens on the
# host's 127.0.0.1) and explicit ulimits (podman's defaults exceed the hard limits here, and
# runc then refuses to start). The host's proxy variables are not passed in: the connector talks
# to the sandbox on 127.0.0.1 directly.
#
# Usage: integration_tests/image/run-image.sh [PODMAN RUN OPTIONS...] IMAGE [ARGS...]
#   e.g. run-image.sh -v "$PWD/secrets:/secrets:ro" localhost/source-braze-campaigns:dev \
#            read --config /secrets/config.json --catalog /secrets/catalog.json
set -euo pipefail

exec podman run --rm \
    --runtime runc \
    --cgroup-manager cgroupfs \
    --network host \
    --http-proxy=false \
    --ulimit nofile=1024:1024 \
    --ulimit nproc=4096:4096 \
    "$@"
