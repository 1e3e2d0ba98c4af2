"""metadata.yaml: complete for Airbyte's registry, and consistent with the code it describes.

The registry rejects unknown keys in `data` and needs the fields below; a version, base image or
host that differs between metadata.yaml, pyproject.toml, the Dockerfile, the docs and the manifest is
a release that builds one thing and advertises another.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import tomllib
import yaml
from airbyte_cdk.models.connector_metadata import ConnectorLanguage, MetadataFile

from unit_tests.test_dockerfile import key_values

ROOT = Path(__file__).resolve().parents[1]
METADATA = ROOT / "metadata.yaml"
MANIFEST = ROOT / "source_braze_campaigns" / "manifest.yaml"
DOCS = ROOT / "docs" / "braze-campaigns.md"

REQUIRED = {
    "name": "Braze Campaigns",
    "connectorType": "source",
    "connectorSubtype": "api",
    "dockerRepository": "airbyte/source-braze-campaigns",
    "documentationUrl": "https://docs.airbyte.com/integrations/sources/braze-campaigns",
    "githubIssueLabel": "source-braze-campaigns",
    "license": "MIT",
    "releaseStage": "alpha",
    "supportLevel": "community",
}
# The keys Airbyte's metadata schema (ConnectorMetadataDefinitionV0.data) allows; it forbids others.
KNOWN_DATA_KEYS = set(
    """
    name icon definitionId connectorBuildOptions connectorTestSuitesOptions connectorType dockerRepository
    dockerImageTag supportsDbt supportsNormalization license documentationUrl externalDocumentationUrls
    githubIssueLabel maxSecondsBetweenMessages releaseDate protocolVersion erdUrl connectorSubtype releaseStage
    supportLevel tags registryOverrides allowedHosts releases normalizationConfig suggestedStreams
    resourceRequirements ab_internal remoteRegistries supportsRefreshes generated supportsFileTransfer
    supportsDataActivation connectorIPCOptions
    """.split()
)
PINNED_IMAGE = re.compile(r"^docker\.io/airbyte/python-connector-base:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$")


def metadata() -> dict[str, Any]:
    return dict(yaml.safe_load(METADATA.read_text())["data"])


def manifest_spec() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text())["spec"])


def package_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def changelog_rows() -> list[list[str]]:
    """The cells of each row of the docs' changelog table, newest first."""
    lines = DOCS.read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if re.match(r"\|\s*Version\s*\|\s*Date\s*\|", line))
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_given_metadata_when_loaded_then_the_registrys_required_fields_are_there_and_nothing_unknown() -> None:
    data = metadata()

    assert {key: data.get(key) for key in REQUIRED} == REQUIRED
    assert set(data) <= KNOWN_DATA_KEYS, set(data) - KNOWN_DATA_KEYS
    assert str(uuid.UUID(data["definitionId"])) == data["definitionId"]
    assert yaml.safe_load(METADATA.read_text())["metadataSpecVersion"] == "1.0"
    assert data["tags"] == ["language:python", "cdk:low-code"]
    assert data["registryOverrides"] == {"cloud": {"enabled": True}, "oss": {"enabled": True}}
    assert data["icon"].endswith(".svg")


def test_given_metadata_when_read_by_the_cdks_standard_suite_then_it_is_a_python_connector() -> None:
    loaded = MetadataFile.from_file(METADATA)

    assert loaded.data.language is ConnectorLanguage.PYTHON
    assert loaded.data.dockerRepository == REQUIRED["dockerRepository"]


def test_given_every_place_a_version_is_written_when_compared_then_they_agree() -> None:
    version = package_version()
    labels = key_values("LABEL")

    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert metadata()["dockerImageTag"] == version
    assert labels["io.airbyte.version"] == version
    assert changelog_rows()[0][0] == version


def test_given_the_dockerfile_when_compared_to_metadata_then_the_image_name_and_base_image_agree() -> None:
    data = metadata()
    base_image = data["connectorBuildOptions"]["baseImage"]

    assert PINNED_IMAGE.match(base_image), base_image
    assert key_values("ARG")["BASE_IMAGE"] == base_image
    assert key_values("LABEL")["io.airbyte.name"] == data["dockerRepository"]


def test_given_the_manifest_when_compared_to_metadata_then_the_documentation_url_agrees() -> None:
    assert manifest_spec()["documentation_url"] == metadata()["documentationUrl"]


@pytest.mark.parametrize("host", metadata()["allowedHosts"]["hosts"])
def test_given_an_allowed_host_when_written_as_a_url_then_the_spec_accepts_it(host: str) -> None:
    url_pattern = manifest_spec()["connection_specification"]["properties"]["url"]["pattern"]

    assert re.match(url_pattern, f"https://{host}"), host


def test_given_the_allowed_hosts_when_compared_to_the_spec_examples_and_docs_then_each_is_listed_once() -> None:
    hosts = metadata()["allowedHosts"]["hosts"]
    examples = manifest_spec()["connection_specification"]["properties"]["url"]["examples"]
    documented = set(re.findall(r"`https://(rest\.[a-z0-9-]+\.braze\.(?:com|eu))`", DOCS.read_text()))

    assert len(hosts) == len(set(hosts))
    assert {urlsplit(example).hostname for example in examples} <= set(hosts)
    assert documented == set(hosts)
