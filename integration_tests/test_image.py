"""The container image, built and run with the commands the docs give users.

No Docker engine here: the docs' `docker build` and `docker run` commands
(integration_tests/image/documented.py) run through build-image.sh and run-image.sh, podman
with chroot isolation on a local Debian trixie base (Python 3.13, as Airbyte's base image 4.1)
made with debootstrap, and with the host's network, so the connector inside reaches the sandbox
on 127.0.0.1. The base is cached under .image-cache/, so a second run builds in seconds.
podman and debootstrap come from `make image-tools` (a step of `make test` and `make
test-image`); without them these tests are skipped.

What the image must do is what the installed package does: the same spec, catalog, records and
state from the same sandbox, with config, catalog and state mounted read-only at /secrets,
owned by the image's unprivileged uid 1000 as the docs say.
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
from integration_tests.image import documented

pytestmark = [pytest.mark.image_tests, pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[1]
TAG = "localhost/source-braze-campaigns:image-test"
VERSION = str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])
IMAGE_USER = 1000


def _require_tools() -> None:
    """Skips, naming the make step, when this machine cannot build images; installs nothing."""
    if os.geteuid() != 0:
        pytest.skip("the image test needs root: podman with chroot isolation and debootstrap")
    missing = [tool for tool in ("bash", "podman", "debootstrap") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: `make image-tools` installs them")


def run_documented(argv: list[str], secrets: Path | None = None, timeout: float = 300) -> ConnectorRun:
    """One of the docs' `docker` commands, run with podman on this machine."""
    completed = subprocess.run(
        documented.as_podman(argv, TAG, secrets),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return ConnectorRun.parse(" ".join(argv[:2] + argv[3:4]), completed)


@pytest.fixture(scope="module")
def image() -> str:
    """The connector image, built by the docs' `docker build` on the local Debian base."""
    _require_tools()
    built = run_documented(documented.command("build"), timeout=1500)
    assert built.returncode == 0, f"building the image failed:\n{built.stderr[-5000:]}"
    return TAG


def run_image(image: str, *args: str, entrypoint: str | None = None) -> ConnectorRun:
    """`docker run --rm [--entrypoint E] IMAGE args...`, for what the docs do not show."""
    options = ["--entrypoint", entrypoint] if entrypoint is not None else []
    completed = subprocess.run(
        ["bash", str(documented.WRAPPERS["run"]), *options, image, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return ConnectorRun.parse(" ".join(args[:1]) or "run", completed)


def write_secrets(folder: Path, **files: Any) -> Path:
    """JSON files in a secrets/ folder prepared as the docs say: owned by uid 1000, mode 700/600."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(content))
        path.chmod(0o600)
        os.chown(path, IMAGE_USER, IMAGE_USER)
    folder.chmod(0o700)
    os.chown(folder, IMAGE_USER, IMAGE_USER)
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


def test_given_the_documented_spec_command_when_run_then_it_reports_the_installed_connectors_spec(
    image: str, host_runner: ConnectorRunner
) -> None:
    in_image = run_documented(documented.command("spec"))
    on_host = host_runner.run("spec")

    assert in_image.returncode == 0, in_image.describe()
    assert in_image.spec == on_host.spec


def test_given_the_image_when_launched_through_airbyte_entrypoint_then_spec_succeeds(image: str) -> None:
    # The platform starts `$AIRBYTE_ENTRYPOINT <command> ...` from a shell, not the ENTRYPOINT.
    launched = run_image(image, "-c", "$AIRBYTE_ENTRYPOINT spec", entrypoint="/bin/sh")

    assert launched.returncode == 0, launched.describe()
    assert launched.spec["connectionSpecification"]["required"] == ["url", "api_key"]


def test_given_the_image_when_listing_what_it_ships_then_only_the_connector_is_there_on_python_3_13(
    image: str,
) -> None:
    listing = run_image(
        image,
        "-c",
        'echo "code: $(ls -A /airbyte/integration_code | sort | tr "\\n" " ")"; '
        'python -c \'import importlib.metadata as m; print("installed:", m.version("source-braze-campaigns"))\'; '
        "python -c 'import sys; print(\"python:\", *sys.version_info[:2])'; "
        "python -c 'import integration_tests' 2>/dev/null && echo 'importable: integration_tests'; "
        "find / -xdev \\( -name integration_tests -o -name unit_tests -o -name secrets -o -name .venv \\) "
        "-printf 'found: %p\\n' 2>/dev/null; true",
        entrypoint="/bin/sh",
    )

    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert "code: pyproject.toml requirements.lock source_braze_campaigns " in lines, listing.stdout
    assert f"installed: {VERSION}" in lines, listing.stdout
    # The Python of metadata.yaml's base image (python-connector-base 4.1).
    assert "python: 3 13" in lines, listing.stdout
    assert [line for line in lines if line.startswith(("importable:", "found:"))] == []


def test_given_secrets_owned_by_the_image_user_when_the_documented_check_and_discover_run_then_they_succeed(
    image: str, image_config: dict[str, Any], host_runner: ConnectorRunner, tmp_path: Path
) -> None:
    secrets = write_secrets(tmp_path / "secrets", config=image_config)

    checked = run_documented(documented.command("check", "--config"), secrets)
    discovered = run_documented(documented.command("discover", "--config"), secrets)

    assert checked.connection_status["status"] == "SUCCEEDED", checked.describe()
    assert discovered.returncode == 0, discovered.describe()
    assert discovered.catalog == host_runner.run("discover", config=image_config).catalog


def test_given_the_documented_read_commands_when_run_twice_then_the_image_emits_what_the_installed_connector_emits(
    image: str,
    image_config: dict[str, Any],
    catalog: dict[str, Any],
    host_runner: ConnectorRunner,
    tmp_path: Path,
) -> None:
    secrets = write_secrets(tmp_path / "secrets", config=image_config, catalog=catalog)
    first = run_documented(documented.command("read", "--config", "--catalog"), secrets)
    first_on_host = host_runner.read(image_config, catalog)

    assert first.returncode == 0 and not first.errors, first.describe()
    assert set(first.record_counts()) == {stream["stream"]["name"] for stream in catalog["streams"]}
    assert comparable(first) == comparable(first_on_host)
    assert API_KEY not in first.stdout

    # The incremental run: the docs' state.json, the last STATE of each stream the first run printed.
    write_secrets(secrets, state=first.state_messages())
    second = run_documented(documented.command("read", "--config", "--catalog", "--state"), secrets)
    second_on_host = host_runner.read(image_config, catalog, state=first.state_messages())

    assert second.returncode == 0 and not second.errors, second.describe()
    assert comparable(second) == comparable(second_on_host)
    assert second.record_counts()["campaigns_analytics"] < first.record_counts()["campaigns_analytics"]
