"""The container image, built from the Dockerfile and run as the Airbyte platform runs it.

No Docker engine here: podman builds the Dockerfile with chroot isolation on a local Debian
bookworm base made with debootstrap (Airbyte's base image cannot be pulled), and runs it with
the host's network, so the connector inside reaches the sandbox on 127.0.0.1. Scripts in
integration_tests/image/ do each step; they install what they need with apt-get and cache the
base under .image-cache/, so a second run builds in seconds.

What the image must do is what the installed package does: the same spec, and the same records
and state from the same sandbox, with config, catalog and state mounted read-only at /secrets
and read by the image's unprivileged user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import tomllib

from braze_sandbox import Sandbox
from integration_tests.harness import (
    API_KEY,
    ConnectorRun,
    ConnectorRunner,
    configured_catalog,
    connector_config,
    start_sandbox,
)

pytestmark = [pytest.mark.image_tests, pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "integration_tests" / "image"
TAG = "localhost/source-braze-campaigns:image-test"
VERSION = str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def _script(name: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPTS / name), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _ensure_tools() -> None:
    """Skips when podman cannot be had here; fails when installing it went wrong."""
    if shutil.which("bash") is None:
        pytest.skip("the image test's scripts need bash")
    if os.geteuid() != 0:
        pytest.skip("the image test needs root: podman with chroot isolation, debootstrap and apt-get")
    installed = _script("install-tools.sh", timeout=900)
    if installed.returncode == 77:
        pytest.skip(f"podman/debootstrap cannot be installed here: {installed.stderr.strip()}")
    assert installed.returncode == 0, f"installing podman/debootstrap failed:\n{installed.stderr[-3000:]}"


@pytest.fixture(scope="module")
def image() -> str:
    """The connector image, built from the repository's Dockerfile on the local Debian base."""
    _ensure_tools()
    built = _script("build-image.sh", TAG, timeout=1500)
    assert built.returncode == 0, f"building the image failed:\n{built.stderr[-5000:]}"
    assert built.stdout.strip().splitlines()[-1] == TAG
    return TAG


def run_image(image: str, *args: str, secrets: Path | None = None, entrypoint: str | None = None) -> ConnectorRun:
    """`docker run --rm [-v secrets:/secrets:ro] IMAGE args...`, parsed as Airbyte messages."""
    options: list[str] = []
    if secrets is not None:
        options += ["--volume", f"{secrets}:/secrets:ro"]
    if entrypoint is not None:
        options += ["--entrypoint", entrypoint]
    completed = subprocess.run(
        ["bash", str(SCRIPTS / "run-image.sh"), *options, image, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return ConnectorRun.parse(" ".join(args[:1]) or "run", completed)


def write_secrets(folder: Path, **files: Any) -> Path:
    """JSON files in a folder the image's uid 1000 can read, as a user's secrets/ would be."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    for name, content in files.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(content))
        path.chmod(0o644)
    return folder


def comparable(run: ConnectorRun) -> tuple[list[str], list[str]]:
    """Every record (without emitted_at) and the final state of each stream, in a stable order.

    The state's `lookback_window` is left out: the CDK writes there how many seconds the sync
    took, which differs between any two runs.
    """
    records = sorted(
        json.dumps({"stream": m["record"]["stream"], "data": m["record"]["data"]}, sort_keys=True)
        for m in run.of_type("RECORD")
    )
    states = []
    for message in run.state_messages():
        stream_state = dict(message["stream"]["stream_state"])
        stream_state.pop("lookback_window", None)
        if isinstance(stream_state.get("states"), list):
            stream_state["states"] = sorted(stream_state["states"], key=lambda entry: json.dumps(entry, sort_keys=True))
        states.append(json.dumps([message["stream"]["stream_descriptor"], stream_state], sort_keys=True))
    return records, sorted(states)


@pytest.fixture(scope="module")
def image_sandbox() -> Iterator[Sandbox]:
    instance = start_sandbox(campaigns=16, days=200)
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def host_runner(tmp_path_factory: pytest.TempPathFactory) -> ConnectorRunner:
    return ConnectorRunner(tmp_path_factory.mktemp("image-host-runs"))


@pytest.fixture(scope="module")
def image_config(image_sandbox: Sandbox) -> dict[str, Any]:
    return connector_config(image_sandbox, start_date=image_sandbox.today - timedelta(days=150))


@pytest.fixture(scope="module")
def catalog(host_runner: ConnectorRunner, image_config: dict[str, Any]) -> dict[str, Any]:
    discovered = host_runner.run("discover", config=image_config)
    assert discovered.returncode == 0, discovered.describe()
    return configured_catalog(discovered.catalog)


def test_given_the_image_when_inspected_then_it_is_labelled_and_launched_as_airbyte_expects(image: str) -> None:
    inspected = subprocess.run(
        ["podman", "image", "inspect", image], capture_output=True, text=True, timeout=60, check=True
    )
    config = json.loads(inspected.stdout)[0]["Config"]
    assert config["Labels"]["io.airbyte.name"] == "airbyte/source-braze-campaigns"
    assert config["Labels"]["io.airbyte.version"] == VERSION
    assert config["Entrypoint"] == ["source-braze-campaigns"]
    assert "AIRBYTE_ENTRYPOINT=source-braze-campaigns" in config["Env"]
    assert config["User"] == "1000:1000"


def test_given_the_image_when_spec_then_it_reports_the_installed_connectors_spec(
    image: str, host_runner: ConnectorRunner
) -> None:
    in_image = run_image(image, "spec")
    on_host = host_runner.run("spec")

    assert in_image.returncode == 0, in_image.describe()
    assert in_image.spec == on_host.spec


def test_given_the_image_when_launched_through_airbyte_entrypoint_then_spec_succeeds(image: str) -> None:
    # The platform starts `$AIRBYTE_ENTRYPOINT <command> ...` from a shell, not the ENTRYPOINT.
    launched = run_image(image, "-c", "$AIRBYTE_ENTRYPOINT spec", entrypoint="/bin/sh")

    assert launched.returncode == 0, launched.describe()
    assert launched.spec["connectionSpecification"]["required"] == ["url", "api_key"]


def test_given_the_image_when_listing_what_it_ships_then_only_the_connector_is_there(image: str) -> None:
    listing = run_image(
        image,
        "-c",
        'echo "code: $(ls -A /airbyte/integration_code | sort | tr "\\n" " ")"; '
        'python -c \'import importlib.metadata as m; print("installed:", m.version("source-braze-campaigns"))\'; '
        "python -c 'import integration_tests' 2>/dev/null && echo 'importable: integration_tests'; "
        "find / -xdev \\( -name integration_tests -o -name unit_tests -o -name secrets -o -name .venv \\) "
        "-printf 'found: %p\\n' 2>/dev/null; true",
        entrypoint="/bin/sh",
    )

    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert "code: pyproject.toml source_braze_campaigns " in lines, listing.stdout
    assert f"installed: {VERSION}" in lines, listing.stdout
    assert [line for line in lines if line.startswith(("importable:", "found:"))] == []


def test_given_secrets_mounted_when_check_then_a_valid_key_succeeds_and_a_key_without_data_series_fails(
    image: str, image_config: dict[str, Any], tmp_path: Path
) -> None:
    secrets = write_secrets(
        tmp_path / "secrets",
        config=image_config,
        no_data_series=dict(image_config, api_key="sandbox-key-no-data-series"),
    )

    valid = run_image(image, "check", "--config", "/secrets/config.json", secrets=secrets)
    lacking = run_image(image, "check", "--config", "/secrets/no_data_series.json", secrets=secrets)

    assert valid.connection_status["status"] == "SUCCEEDED", valid.describe()
    assert lacking.connection_status["status"] == "FAILED", lacking.describe()
    assert "campaigns.data_series" in lacking.connection_status["message"]


def test_given_secrets_mounted_when_read_twice_then_the_image_emits_what_the_installed_connector_emits(
    image: str,
    image_config: dict[str, Any],
    catalog: dict[str, Any],
    host_runner: ConnectorRunner,
    tmp_path: Path,
) -> None:
    secrets = write_secrets(tmp_path / "secrets", config=image_config, catalog=catalog)
    first = run_image(
        image, "read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json", secrets=secrets
    )
    first_on_host = host_runner.read(image_config, catalog)

    assert first.returncode == 0 and not first.errors, first.describe()
    assert set(first.record_counts()) == {stream["stream"]["name"] for stream in catalog["streams"]}
    assert comparable(first) == comparable(first_on_host)
    assert API_KEY not in first.stdout

    # The incremental run: the state the first run emitted, mounted as a state file.
    state = first.state_messages()
    write_secrets(secrets, state=[{"type": "STREAM", "stream": message["stream"]} for message in state])
    second = run_image(
        image,
        "read",
        "--config",
        "/secrets/config.json",
        "--catalog",
        "/secrets/catalog.json",
        "--state",
        "/secrets/state.json",
        secrets=secrets,
    )
    second_on_host = host_runner.read(
        image_config, catalog, state=[{"type": "STREAM", "stream": message["stream"]} for message in state]
    )

    assert second.returncode == 0 and not second.errors, second.describe()
    assert comparable(second) == comparable(second_on_host)
    assert second.record_counts()["campaigns_analytics"] < first.record_counts()["campaigns_analytics"]
