# The connector image for the Airbyte platform: `docker run --rm IMAGE spec|check|discover|read ...`.
#
# BASE_IMAGE defaults to Airbyte's Python connector base (the 4.1 line, Python 3.13), pinned by
# version and digest exactly as metadata.yaml's connectorBuildOptions.baseImage. The image test
# builds on a local Debian stand-in instead (integration_tests/image/build-base.sh), as no
# registry can be pulled from there.
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.1.0@sha256:1d1aa21d34e851df4e8a87b391c27724c06e2597608e7161f4d167be853bd7b6
FROM ${BASE_IMAGE}

WORKDIR /airbyte/integration_code

# Dependencies first, exactly the versions and hashes of requirements.lock (`make lock`): two
# builds of one commit install the same files, and this layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# Then the connector itself, without resolving anything again. .dockerignore keeps everything
# else (tests, the sandbox, secrets, caches) out of the build context.
COPY pyproject.toml ./
COPY source_braze_campaigns ./source_braze_campaigns
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && pip check \
    && rm -rf build ./*.egg-info

ENV AIRBYTE_ENTRYPOINT="source-braze-campaigns"
ENTRYPOINT ["source-braze-campaigns"]

LABEL io.airbyte.name=airbyte/source-braze-campaigns
LABEL io.airbyte.version=0.2.2

# The base image's unprivileged `airbyte` user, by number so that Kubernetes' runAsNonRoot
# can verify it. A mounted config must be readable by uid 1000.
USER 1000:1000
