# The connector image for the Airbyte platform: `docker run --rm IMAGE spec|check|discover|read ...`.
#
# BASE_IMAGE defaults to Airbyte's Python connector base (Python 3.11), pinned by version and
# digest exactly as metadata.yaml's connectorBuildOptions.baseImage. The image test builds on a
# local Debian stand-in instead (integration_tests/image/build-base.sh), as no registry can be
# pulled from there.
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73
FROM ${BASE_IMAGE}

WORKDIR /airbyte/integration_code

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when it changes,
# not on every change to the connector's code.
COPY pyproject.toml ./
RUN mkdir source_braze_campaigns \
    && pip install --no-cache-dir . \
    && pip uninstall --yes source-braze-campaigns \
    && rm -rf build ./*.egg-info

# Then the connector itself. .dockerignore keeps everything else (tests, the sandbox, secrets,
# caches) out of the build context.
COPY source_braze_campaigns ./source_braze_campaigns
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info

ENV AIRBYTE_ENTRYPOINT="source-braze-campaigns"
ENTRYPOINT ["source-braze-campaigns"]

LABEL io.airbyte.name=airbyte/source-braze-campaigns
LABEL io.airbyte.version=0.2.0

# The base image's unprivileged `airbyte` user, by number so that Kubernetes' runAsNonRoot
# can verify it. A mounted config must be readable by uid 1000.
USER 1000:1000
