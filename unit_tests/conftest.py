"""Fixtures shared by the unit tests: no test leaks a cache folder, and no test really sleeps."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from airbyte_cdk.sources.declarative import concurrent_declarative_source
from airbyte_cdk.sources.streams.http import rate_limiting
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH

from source_braze_campaigns import cdk_compat

# The console entry point installs the lock (run.py); these tests run the source in-process.
cdk_compat.install_ast_lock()


@pytest.fixture(autouse=True)
def request_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh REQUEST_CACHE_PATH per test, where the spools of shared responses are made.

    The CDK entrypoint sets this variable to its own temporary folder and never restores it;
    monkeypatch puts the previous value back after each test, so no test writes into a folder
    another test's entrypoint made.
    """
    folder = tmp_path / "request-cache"
    folder.mkdir()
    monkeypatch.setenv(ENV_REQUEST_CACHE_PATH, str(folder))
    yield folder


@pytest.fixture(autouse=True)
def backoff_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every retry wait the CDK would sleep, recorded instead of slept.

    How the tests stay fast: the connector's BrazeBackoffStrategy returns a wait for every
    retry (2, 4, 8, 16, 32 s on a 5xx; until X-RateLimit-Reset on a 429), which the CDK raises
    as UserDefinedBackoffException and sleeps in `airbyte_cdk.sources.streams.http.rate_limiting`
    (`time.sleep(wait + 1)`). Only that module's `time` is replaced, so the CDK's other threads
    and queues keep their real clock.
    """
    sleeps: list[float] = []
    monkeypatch.setattr(rate_limiting, "time", SimpleNamespace(sleep=sleeps.append))
    return sleeps


@pytest.fixture(autouse=True, scope="session")
def parse_component_schema_once() -> Iterator[None]:
    """Speed only: the CDK's component schema is parsed once per test session.

    Building a source parses it with pure-Python PyYAML (about 0.15 s), more than a mocked
    read takes; it is only read, so it is shared. (The manifest is parsed with libyaml, 3 ms.)
    """
    with pytest.MonkeyPatch.context() as patch:
        schema = functools.cache(concurrent_declarative_source.get_declarative_component_schema)
        patch.setattr(concurrent_declarative_source, "get_declarative_component_schema", schema)
        yield
