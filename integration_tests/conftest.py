"""Fixtures of the process-level tests and of the CDK's standard test suite.

The standard suite (`test_standard_suite.py`) reads `acceptance-test-config.yml`, whose configs
live in `secrets/` (gitignored): `standard_suite_configs` writes them there, pointing at the
session's sandbox, before the suite's first test and removes them after the last.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from braze_sandbox import Sandbox
from integration_tests.faultkit import SECRET_KEY, GuardedRunner
from integration_tests.harness import (
    API_KEY,
    ConnectorRun,
    ConnectorRunner,
    connector_config,
    start_sandbox,
)
from source_braze_campaigns import cdk_compat

# The console entry point installs the lock (run.py); the standard suite runs the source in-process.
cdk_compat.install_ast_lock()

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

ROOT = Path(__file__).resolve().parents[1]
SECRETS = ROOT / "secrets"
STANDARD_SUITE_MODULE = "test_standard_suite.py"


def pytest_configure(config: pytest.Config) -> None:
    # The standard suite marks the scenarios whose config sits in `secrets/` with this marker.
    config.addinivalue_line("markers", "requires_creds: a standard-suite scenario whose config is in secrets/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the standard suite's Docker image tests: they need a Docker daemon and metadata.yaml.

    Only the CDK's inherited `image_tests` are dropped; the project's own image tests (podman)
    are not touched.
    """
    image_tests = [
        item for item in items if item.get_closest_marker("image_tests") and item.path.name == STANDARD_SUITE_MODULE
    ]
    if image_tests:
        config.hook.pytest_deselected(items=image_tests)
        items[:] = [item for item in items if item not in image_tests]


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the tests that only read from it (no today moves, no request counts)."""
    instance = start_sandbox()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def session_runner(tmp_path_factory: pytest.TempPathFactory) -> ConnectorRunner:
    return ConnectorRunner(tmp_path_factory.mktemp("connector-session"))


@pytest.fixture(scope="module")
def secret_braze() -> Iterator[Sandbox]:
    """A sandbox of the test module's own that knows SECRET_KEY (and its variants lacking one permission each)."""
    sandbox = start_sandbox(campaigns=16, days=120, api_key=SECRET_KEY)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def runner(tmp_path: Path) -> GuardedRunner:
    """Runs the console script with files in, and working directory, a fresh tmp dir, and checks
    after every run that the secret test key (faultkit.SECRET_KEY) was not printed."""
    return GuardedRunner(tmp_path)


@pytest.fixture(scope="session")
def config(sandbox: Sandbox) -> dict[str, Any]:
    """A valid config for the session sandbox: 60 days up to its today."""
    return connector_config(sandbox, start_date=sandbox.today - timedelta(days=59))


@pytest.fixture(scope="session")
def spec_run(session_runner: ConnectorRunner) -> ConnectorRun:
    return session_runner.run("spec")


@pytest.fixture(scope="session")
def discover_run(session_runner: ConnectorRunner, config: dict[str, Any]) -> ConnectorRun:
    return session_runner.run("discover", config=config)


@pytest.fixture(scope="session")
def discovered(discover_run: ConnectorRun) -> dict[str, Any]:
    """The catalog `discover` reported."""
    assert discover_run.returncode == 0, discover_run.describe()
    return discover_run.catalog


@pytest.fixture(scope="session")
def standard_suite_configs(sandbox: Sandbox) -> Iterator[dict[str, Path]]:
    """Writes the configs acceptance-test-config.yml names, pointing at the session sandbox."""
    configs = {
        "config": connector_config(sandbox, start_date=sandbox.today - timedelta(days=29)),
        "invalid_config": connector_config(
            sandbox, start_date=sandbox.today - timedelta(days=29), api_key="not-a-braze-key"
        ),
    }
    assert configs["config"]["api_key"] == API_KEY
    SECRETS.mkdir(exist_ok=True)
    paths = {name: SECRETS / f"{name}.json" for name in configs}
    for name, content in configs.items():
        paths[name].write_text(json.dumps(content, indent=2) + "\n")
    yield paths
    for path in paths.values():
        path.unlink(missing_ok=True)
